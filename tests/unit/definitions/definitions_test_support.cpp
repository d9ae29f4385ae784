#include "definitions_test_support.hpp"

#include <atomic>
#include <fstream>
#include <random>

namespace weft::definitions::testing {

TempDir::TempDir() {
  static std::atomic<int> counter{0};
  std::random_device random;
  path_ = std::filesystem::temp_directory_path() /
          ("weft-definitions-" + std::to_string(random()) + "-" + std::to_string(++counter));
  std::filesystem::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::filesystem::path TempDir::write(const std::string& relative, const std::string& content) const {
  const auto file = path_ / relative;
  std::filesystem::create_directories(file.parent_path());
  std::ofstream(file, std::ios::binary) << content;
  return file;
}

std::string render(const Diagnostics& diagnostics) {
  std::string text;
  for (const auto& diagnostic : diagnostics) text += diagnostic.to_string() + "\n";
  return text;
}

}  // namespace weft::definitions::testing
