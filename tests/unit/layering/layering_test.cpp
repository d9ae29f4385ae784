// The layering of host/ as a test: each folder may include only the folders
// listed for it (its own always). Data flows intake -> routing -> engine ->
// store; the transports (http, cli) sit on top; nothing reaches back up.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include <unistd.h>

namespace {

namespace fs = std::filesystem;

const std::map<std::string, std::set<std::string>>& allowed() {
  static const std::map<std::string, std::set<std::string>> table = {
      {"common", {}},
      {"metrics", {"common"}},
      {"watch", {"common"}},
      {"embedded_db", {"common"}},
      {"lua", {"common"}},
      {"store", {"common"}},
      {"plugins", {"common"}},
      {"http", {"common"}},
      {"dashboard", {"common"}},
      {"tracing", {"common"}},
      {"stream", {"common", "store", "views", "http"}},
      {"views", {"common", "store"}},
      {"definitions", {"common", "lua"}},
      {"routing", {"common", "lua", "definitions"}},
      {"engine", {"common", "lua", "definitions", "routing", "store", "plugins", "metrics", "tracing"}},
      {"reload", {"common", "lua", "definitions", "routing", "store", "plugins", "engine"}},
      {"api", {"common", "lua", "definitions", "routing", "store", "plugins", "engine"}},
      {"http_api",
       {"common", "lua", "definitions", "routing", "store", "metrics", "views", "http", "stream", "dashboard", "api"}},
      {"cli", {"common", "lua", "definitions", "routing", "store", "plugins", "engine", "metrics", "tracing", "views", "http",
               "http_api", "api", "reload", "watch", "embedded_db"}},
  };
  return table;
}

/// Every include in `host` that reaches a folder its own folder may not, as
/// `file:line: folder includes target`; folders missing from the table too.
std::vector<std::string> violations(const fs::path& host) {
  const std::regex include(R"(^\s*#\s*include\s+"([a-z_]+)/)");
  std::vector<std::string> found;
  for (const auto& entry : fs::directory_iterator(host)) {
    if (!entry.is_directory()) continue;
    const auto folder = entry.path().filename().string();
    const auto rules = allowed().find(folder);
    if (rules == allowed().end()) {
      found.push_back("host/" + folder + " is not in the layering table");
      continue;
    }
    for (const auto& file : fs::recursive_directory_iterator(entry.path())) {
      const auto extension = file.path().extension();
      if (extension != ".hpp" && extension != ".cpp" && extension != ".h") continue;
      std::ifstream in(file.path());
      std::string line;
      for (int number = 1; std::getline(in, line); ++number) {
        std::smatch match;
        if (!std::regex_search(line, match, include)) continue;
        const auto target = match[1].str();
        if (target == folder || !fs::is_directory(host / target)) continue;
        if (!rules->second.count(target))
          found.push_back(file.path().string() + ":" + std::to_string(number) + ": " + folder + " includes " + target);
      }
    }
  }
  return found;
}

}  // namespace

TEST_CASE("every host folder includes only the folders below it", "[layering]") {
  const fs::path host = fs::path(WEFT_SOURCE_DIR) / "host";
  for (const auto& violation : violations(host)) FAIL_CHECK(violation);
  // The table names no folder that is gone.
  for (const auto& [folder, _] : allowed()) CHECK(fs::is_directory(host / folder));
}

TEST_CASE("the layering check catches an include that reaches up", "[layering]") {
  const auto root = fs::temp_directory_path() / ("weft-layering-" + std::to_string(::getpid()));
  fs::create_directories(root / "store");
  fs::create_directories(root / "engine");
  std::ofstream(root / "engine" / "engine.hpp") << "#pragma once\n";
  std::ofstream(root / "store" / "store.cpp") << "#include \"store/store.hpp\"\n#include \"engine/engine.hpp\"\n";
  const auto found = violations(root);
  fs::remove_all(root);
  REQUIRE(found.size() == 1);
  CHECK(found[0].find("store.cpp:2: store includes engine") != std::string::npos);
}
