// One call into a plugin: the host services table it gets (ctx.db, emit, log),
// and the result turned into a StepOutcome.
#pragma once

#include "common/outcome.hpp"
#include "plugins/loaded_plugin.hpp"
#include "plugins/plugin_host.hpp"

namespace weft::plugins {

/// Runs `call.action` of `plugin` on the calling thread. Never throws.
StepOutcome run_action(const LoadedPlugin& plugin, const ActionCall& call);

}  // namespace weft::plugins
