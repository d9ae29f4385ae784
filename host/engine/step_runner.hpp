// Runs one attempt of a step's action (or of its compensation) and returns its
// outcome as a value.
#pragma once

#include "common/outcome.hpp"
#include "definitions/definition.hpp"
#include "engine/execution_run.hpp"
#include "lua/database.hpp"
#include "lua/vm.hpp"
#include "plugins/plugin_host.hpp"

namespace weft::engine {

/// Runs attempt `state.attempts` of `target` of `run`: a Lua action in `vm`, a
/// plugin action through `plugins` (null: plugin actions fail with `unknown_action`).
/// `database` is ctx.db for transactional actions, null otherwise. Never throws.
/// ctx.emit appends to `outbox`.
StepOutcome run_attempt_of(ExecutionRun& run, AttemptTarget target, const ActionState& state,
                           const Json& steps_scope, lua::Vm& vm, std::size_t memory_limit_bytes,
                           lua::Database* database, std::vector<Json>* outbox, const Json* lock,
                           const plugins::PluginHost* plugins);

/// Evaluates a template: its constant, its paths read from the scope, or its Lua chunk
/// with the scope.
StepOutcome evaluate_template(const definitions::ValueTemplate& value, const lua::Scope& scope,
                              lua::Vm& vm);

}  // namespace weft::engine
