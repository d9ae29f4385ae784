#include "cli/plugin_loading.hpp"

#include "cli/args.hpp"

#include <spdlog/spdlog.h>

#include <filesystem>

namespace weft::cli {

std::shared_ptr<plugins::PluginHost> load_plugins(const std::string& dir, const Json& configs) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec))
    throw UsageError("plugins directory '" + dir + "' does not exist (use --plugins)");
  auto host = std::make_shared<plugins::PluginHost>(configs);
  host->load_directory(dir);
  return host;
}

bool apply_plugin_changes(plugins::PluginHost& host, const std::vector<std::filesystem::path>& changed) {
  bool any = false;
  for (const auto& path : changed) {
    if (path.extension() != ".so") continue;  // editors' temporary files, READMEs, ...
    std::error_code ec;
    if (std::filesystem::is_regular_file(path, ec)) {
      if (!host.reload(path)) any = true;  // a refusal is logged by the host; the old version keeps serving
    } else if (host.remove(path)) {
      spdlog::info("plugin file {} was removed; its actions are no longer served", path.string());
      any = true;
    }
  }
  return any;
}

definitions::LoadOptions checked_against(std::shared_ptr<const plugins::PluginHost> host) {
  definitions::LoadOptions options;
  options.check_plugin_action = [host = std::move(host)](const std::string& plugin, const std::string& action) {
    return host->check(plugin, action);
  };
  return options;
}

}  // namespace weft::cli
