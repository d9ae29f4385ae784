// The fixture plugins (tests/fixtures/plugins) copied into a test's own plugins directory.
#pragma once

#include "support/process.hpp"

#include <filesystem>
#include <fstream>
#include <set>
#include <string>

namespace weft::test {

inline std::filesystem::path fixture_plugin(const std::string& name) {
  return std::filesystem::path(WEFT_FIXTURE_PLUGINS_DIR) / ("libweft_" + name + ".so");
}

/// Copies fixture `name` into `dir` as `file_name` (default: its own name); returns the new path.
inline std::filesystem::path install_fixture(const std::filesystem::path& dir, const std::string& name,
                                             const std::string& file_name = {}) {
  std::filesystem::create_directories(dir);
  const auto target = dir / (file_name.empty() ? "libweft_" + name + ".so" : file_name);
  std::filesystem::copy_file(fixture_plugin(name), target, std::filesystem::copy_options::overwrite_existing);
  return target;
}

/// The distinct files mapped into this process now (/proc/self/maps) whose path contains `name`.
inline std::set<std::string> mapped_files(const std::string& name) {
  std::ifstream maps("/proc/self/maps");
  std::set<std::string> files;
  std::string line;
  while (std::getline(maps, line)) {
    const auto slash = line.find('/');
    if (slash != std::string::npos && line.find(name, slash) != std::string::npos) files.insert(line.substr(slash));
  }
  return files;
}

}  // namespace weft::test
