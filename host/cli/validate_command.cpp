#include "cli/args.hpp"
#include "cli/commands.hpp"
#include "cli/cli.hpp"
#include "cli/plugin_loading.hpp"
#include "definitions/loader.hpp"

#include <cstdio>
#include <filesystem>

namespace weft::cli {

int run_validate(const CommandArgs& raw) {
  const Args args(raw, FlagSpec{{"--plugins"}, {"--help"}});
  if (args.has("--help")) {
    std::puts("usage: weft validate [--plugins DIR] [PATH...]   (default: ./workflows)\n"
              "checks workflow definitions; exit 0 when valid, 2 with errors as file:line:col\n"
              "with --plugins, `plugin:` steps must name an action of a plugin in DIR");
    return kExitOk;
  }
  definitions::LoadOptions options;
  if (const auto dir = args.value("--plugins")) options = checked_against(load_plugins(*dir, nullptr));
  std::vector<std::string> paths = args.positional();
  if (paths.empty()) paths.push_back("workflows");

  std::size_t valid = 0;
  Diagnostics diagnostics;
  for (const auto& path : paths) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) {
      auto loaded = definitions::load_directory(path, options);
      valid += loaded.definitions.size();
      diagnostics.insert(diagnostics.end(), loaded.diagnostics.begin(), loaded.diagnostics.end());
    } else if (std::filesystem::is_regular_file(path, ec)) {
      auto loaded = definitions::load_file(path, options);
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
