// Runs one attempt of a step's action and returns its outcome as a value.
#pragma once

#include "common/outcome.hpp"
#include "definitions/definition.hpp"
#include "engine/execution_run.hpp"
#include "lua/database.hpp"
#include "lua/vm.hpp"

namespace weft::engine {

/// Runs attempt `slot.attempts` of step `slot` of `run` in `vm`. Never throws.
/// `database` is ctx.db for transactional steps, null otherwise.
StepOutcome run_step_attempt(ExecutionRun& run, const StepSlot& slot, const Json& steps_scope,
                             lua::Vm& vm, std::size_t memory_limit_bytes, lua::Database* database);

/// Evaluates a template: its constant, or its Lua chunk with the scope.
StepOutcome evaluate_template(const definitions::ValueTemplate& value, const lua::Scope& scope,
                              lua::Vm& vm);

}  // namespace weft::engine
