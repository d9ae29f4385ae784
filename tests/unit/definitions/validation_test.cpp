// Data-driven: every cases/invalid/<name>.yaml is loaded and its diagnostics are
// compared, in order, with <name>.expect: one `LINE:COL: text` per diagnostic
// (`path:LINE: text` for another file), where `text` must appear in the message.
#include "definitions/loader.hpp"
#include "definitions_test_support.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <vector>

namespace fs = std::filesystem;
using weft::definitions::load_file;
using weft::definitions::testing::cases_dir;
using weft::definitions::testing::render;

namespace {

struct Expectation {
  std::string position;  // `name.yaml:3:5` or `steps/broken.lua:2`
  std::string text;
};

std::vector<Expectation> read_expectations(const fs::path& yaml) {
  fs::path expect = yaml;
  expect.replace_extension(".expect");
  std::ifstream in(expect);
  std::vector<Expectation> expectations;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line.front() == '#') continue;
    const auto split = line.find(": ");
    Expectation expectation{line.substr(0, split), split == std::string::npos ? "" : line.substr(split + 2)};
    if (!expectation.position.empty() && std::isdigit(static_cast<unsigned char>(expectation.position.front()))) {
      expectation.position = yaml.filename().string() + ":" + expectation.position;
    }
    expectations.push_back(std::move(expectation));
  }
  return expectations;
}

std::vector<fs::path> invalid_cases() {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(cases_dir() / "invalid")) {
    if (entry.path().extension() == ".yaml") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace

TEST_CASE("every invalid case reports exactly its expected diagnostics", "[definitions][validation]") {
  const auto files = invalid_cases();
  REQUIRE(files.size() >= 15);
  const std::string prefix = (cases_dir() / "invalid").string() + "/";
  for (const auto& file : files) {
    DYNAMIC_SECTION(file.filename().string()) {
      const auto expectations = read_expectations(file);
      REQUIRE_FALSE(expectations.empty());
      const auto result = load_file(file);
      INFO(render(result.diagnostics));
      CHECK(result.definition == nullptr);
      REQUIRE(result.diagnostics.size() == expectations.size());
      for (std::size_t i = 0; i < expectations.size(); ++i) {
        std::string shown = result.diagnostics[i].to_string();
        if (shown.starts_with(prefix)) shown.erase(0, prefix.size());
        INFO("expected " << expectations[i].position << ": ..." << expectations[i].text << "...");
        CHECK(shown.starts_with(expectations[i].position + ": "));
        CHECK(result.diagnostics[i].message.find(expectations[i].text) != std::string::npos);
      }
    }
  }
}

TEST_CASE("a file with three different errors gets three diagnostics", "[definitions][validation]") {
  const auto result = load_file(cases_dir() / "invalid" / "three_errors.yaml");
  INFO(render(result.diagnostics));
  REQUIRE(result.diagnostics.size() == 3);
  CHECK(result.diagnostics[0].location.line == 2);
  CHECK(result.diagnostics[0].location.column == 10);
  CHECK(result.diagnostics[0].message.find("bad duration") != std::string::npos);
  CHECK(result.diagnostics[1].location.line == 6);
  CHECK(result.diagnostics[1].location.column == 28);
  CHECK(result.diagnostics[1].message.find("max_attempts") != std::string::npos);
  CHECK(result.diagnostics[2].location.line == 8);
  CHECK(result.diagnostics[2].location.column == 13);
  CHECK(result.diagnostics[2].message.find("unknown step `zzz`") != std::string::npos);
  CHECK(result.diagnostics[2].to_string().ends_with("three_errors.yaml:8:13: " + result.diagnostics[2].message));
}
