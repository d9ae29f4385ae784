// Loading the plugins directory for `weft serve` and `weft validate --plugins`.
#pragma once

#include "common/json.hpp"
#include "definitions/loader.hpp"
#include "plugins/plugin_host.hpp"

#include <memory>
#include <string>

namespace weft::cli {

/// Loads every plugin in `dir` (refused ones are logged; the others serve).
/// Throws UsageError when `dir` is not a directory.
std::shared_ptr<plugins::PluginHost> load_plugins(const std::string& dir, const Json& configs);

/// Definition loading that reports `plugin:` steps naming an action `host` does not have.
definitions::LoadOptions checked_against(std::shared_ptr<const plugins::PluginHost> host);

}  // namespace weft::cli
