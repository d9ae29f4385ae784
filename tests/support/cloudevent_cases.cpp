#include "support/cloudevent_cases.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace weft::test {

std::vector<std::filesystem::path> cloudevent_cases(const std::string& folder) {
  const auto dir = std::filesystem::path(WEFT_SOURCE_DIR) / "tests" / "unit" / "routing" / "cases" / "cloudevents" / folder;
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir))
    if (entry.path().extension() == ".json") files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  return files;
}

std::string read_text_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + file.string());
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string expected_error(const std::filesystem::path& case_file) {
  auto text = read_text_file(std::filesystem::path(case_file).replace_extension(".expect"));
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return text;
}

bool is_batch_case(const std::string& text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  return first != std::string::npos && text[first] == '[';
}

}  // namespace weft::test
