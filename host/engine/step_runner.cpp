#include "engine/step_runner.hpp"

#include "common/duration.hpp"

#include <filesystem>

namespace weft::engine {
namespace {

StepOutcome unsupported(const std::string& what) {
  return StepOutcome::failure(
      StepError{"unsupported", what + " steps are not supported by this host yet", false, nullptr});
}

std::string chunk_name_of(const definitions::Definition& definition, const std::string& script) {
  const auto folder = std::filesystem::path(definition.source.path).parent_path();
  return (folder / script).lexically_normal().string();
}

}  // namespace

StepOutcome evaluate_template(const definitions::ValueTemplate& value, const lua::Scope& scope,
                              lua::Vm& vm) {
  if (value.is_constant) return StepOutcome::success(value.constant);
  return vm.evaluate(value.lua_chunk, scope);
}

StepOutcome run_step_attempt(ExecutionRun& run, const StepSlot& slot, const Json& steps_scope,
                             lua::Vm& vm, std::size_t memory_limit_bytes, lua::Database* database) {
  const auto& step = *slot.definition;
  if (step.kind == definitions::StepKind::Wait) return unsupported("wait");
  if (step.kind == definitions::StepKind::Sleep) return unsupported("sleep");
  const auto& action = step.action;
  if (action.kind == definitions::ActionKind::Plugin) return unsupported("plugin");

  const auto& definition = run.definition();
  const auto script = definition.source.scripts.find(action.script);
  if (script == definition.source.scripts.end()) {
    return StepOutcome::failure(StepError{
        "invalid_script", "script '" + action.script + "' is not in the definition", false, nullptr});
  }

  auto deadline = std::chrono::steady_clock::now() + action.timeout;
  if (run.deadline() && *run.deadline() < deadline) deadline = *run.deadline();

  const auto& record = run.record();
  lua::StepCall call;
  const std::string chunk_name = chunk_name_of(definition, action.script);
  call.script_source = script->second;
  call.chunk_name = chunk_name;
  call.input = &slot.input;
  call.execution_id = record.id;
  call.workflow = record.workflow;
  call.version = record.version;
  call.step = step.id;
  call.attempt = slot.attempts;
  call.trace_id = record.trace_id;
  call.idempotency_key = record.id + ":" + step.id;
  call.event = &record.event;
  call.execution_input = &record.input;
  call.steps = &steps_scope;
  call.deadline = deadline;
  call.memory_limit_bytes = memory_limit_bytes;
  call.cancelled = &run.cancel;
  call.db = database;
  auto outcome = vm.run_step(call);
  if (!outcome.ok() && outcome.error().code == "timeout") {
    // Say which limit was hit: the step's own, or the whole execution's.
    if (run.deadline() && std::chrono::steady_clock::now() >= *run.deadline())
      return StepOutcome::failure(StepError{"timeout", "the execution reached its timeout", true, nullptr});
  }
  return outcome;
}

}  // namespace weft::engine
