#include "cli/args.hpp"
#include "cli/commands.hpp"
#include "cli/cli.hpp"
#include "definitions/loader.hpp"

#include <cstdio>
#include <filesystem>

namespace weft::cli {

int run_validate(const CommandArgs& raw) {
  const Args args(raw, FlagSpec{{}, {"--help"}});
  if (args.has("--help")) {
    std::puts("usage: weft validate [PATH...]   (default: ./workflows)\n"
              "checks workflow definitions; exit 0 when valid, 2 with errors as file:line:col");
    return kExitOk;
  }
  std::vector<std::string> paths = args.positional();
  if (paths.empty()) paths.push_back("workflows");

  std::size_t valid = 0;
  Diagnostics diagnostics;
  for (const auto& path : paths) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) {
      auto loaded = definitions::load_directory(path);
      valid += loaded.definitions.size();
      diagnostics.insert(diagnostics.end(), loaded.diagnostics.begin(), loaded.diagnostics.end());
    } else if (std::filesystem::is_regular_file(path, ec)) {
      auto loaded = definitions::load_file(path);
      valid += loaded.definition ? 1 : 0;
      diagnostics.insert(diagnostics.end(), loaded.diagnostics.begin(), loaded.diagnostics.end());
    } else {
      diagnostics.push_back(Diagnostic{{path, 0, 0}, "no such file or directory"});
    }
  }
  for (const auto& diagnostic : diagnostics) std::fprintf(stderr, "%s\n", diagnostic.to_string().c_str());
  if (!diagnostics.empty()) {
    std::fprintf(stderr, "%zu error(s)\n", diagnostics.size());
    return kExitUsage;
  }
  std::printf("%zu workflow(s) valid\n", valid);
  return kExitOk;
}

}  // namespace weft::cli
