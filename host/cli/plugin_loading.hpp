// Loading the plugins directory for `weft serve` and `weft validate --plugins`.
#pragma once

#include "common/json.hpp"
#include "definitions/loader.hpp"
#include "plugins/plugin_host.hpp"

#include <filesystem>
#include <memory>
#include <vector>
#include <string>

namespace weft::cli {

/// Loads every plugin in `dir` (refused ones are logged; the others serve).
/// Throws UsageError when `dir` is not a directory.
std::shared_ptr<plugins::PluginHost> load_plugins(const std::string& dir, const Json& configs);

/// Definition loading that reports `plugin:` steps naming an action `host` does not have.
/// `weft serve --watch` on the plugins directory: a changed or added `.so` is
/// loaded (beside the version it replaces, which unloads once its calls
/// return), a removed one stops serving. Refusals are logged; nothing throws.
/// Returns true when any plugin changed.
bool apply_plugin_changes(plugins::PluginHost& host, const std::vector<std::filesystem::path>& changed);

definitions::LoadOptions checked_against(std::shared_ptr<const plugins::PluginHost> host);

}  // namespace weft::cli
