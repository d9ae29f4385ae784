#include "engine/step_runner.hpp"

#include "common/duration.hpp"
#include "engine/plugin_services.hpp"

#include <optional>
#include <string_view>

namespace weft::engine {
namespace {

/// What the attempt sees of itself as ctx; the idempotency key is stable across its retries.
StepIdentity identity_of(const ExecutionRun& run, AttemptTarget target, const ActionState& state) {
  const auto& record = run.record();
  StepIdentity identity;
  identity.execution_id = record.id;
  identity.workflow = record.workflow;
  identity.version = record.version;
  identity.step = run.attempt_id(target);
  identity.attempt = state.attempts;
  identity.trace_id = record.trace_id;
  identity.idempotency_key = record.id + ":" + identity.step;
  return identity;
}

/// A plugin call cannot be interrupted: its deadline is checked when it returns.
StepOutcome run_plugin_action(ExecutionRun& run, AttemptTarget target, const ActionState& state,
                              const definitions::Action& action, const plugins::PluginHost* plugins,
                              lua::Database* database, std::vector<Json>* outbox,
                              std::chrono::steady_clock::time_point deadline) {
  if (plugins == nullptr) {
    return StepOutcome::failure(StepError{"unknown_action",
                                          "cannot run " + action.plugin + "." + action.plugin_action +
                                              ": this host was started without a plugins directory (--plugins)",
                                          false, nullptr});
  }
  PluginServices services(database, outbox);
  plugins::ActionCall call;
  call.plugin = action.plugin;
  call.action = action.plugin_action;
  call.identity = identity_of(run, target, state);
  call.input = &state.input;
  call.services = &services;
  auto outcome = plugins->run(call);
  if (std::chrono::steady_clock::now() > deadline) {
    // Whatever it returned came too late; a transactional step's work is rolled back with it.
    return StepOutcome::failure(StepError{
        "timeout", action.plugin + "." + action.plugin_action + " exceeded its timeout of " +
                       format_duration(action.timeout) + " (checked when the call returned)",
        true, nullptr});
  }
  return outcome;
}

const Json* scope_root(const lua::Scope& scope, std::string_view name) {
  if (name == "event") return scope.event;
  if (name == "input") return scope.input;
  if (name == "steps") return scope.steps;
  if (name == "execution") return scope.execution;
  return nullptr;
}

/// The template's value read straight from the scope's JSON, or nothing when a
/// path does not lead to a value (Lua then gives its own result or error).
std::optional<Json> fill_paths(const definitions::PathTemplate& paths, const lua::Scope& scope) {
  Json result = paths.skeleton;
  for (const auto& hole : paths.holes) {
    const Json* root = scope_root(scope, hole.root);
    const Json* value = root == nullptr ? nullptr : hole.path.empty() ? root : find_path(*root, hole.path);
    if (value == nullptr) return std::nullopt;
    Json* place = &result;
    for (const auto& step : hole.at) {
      if (const auto* key = std::get_if<std::string>(&step)) {
        place = &place->as_object()[*key];
      } else {
        place = &place->as_array()[std::get<std::size_t>(step)];
      }
    }
    *place = *value;
  }
  return result;
}

/// A definition built in code rather than parsed has no chunk names: the script's own then.
std::string_view chunk_name_of(const definitions::Definition& definition, const std::string& script) {
  const auto named = definition.chunk_names.find(script);
  return named != definition.chunk_names.end() ? std::string_view(named->second) : std::string_view(script);
}

}  // namespace

StepOutcome evaluate_template(const definitions::ValueTemplate& value, const lua::Scope& scope,
                              lua::Vm& vm) {
  if (value.is_constant) return StepOutcome::success(value.constant);
  if (value.paths) {
    if (auto filled = fill_paths(*value.paths, scope)) return StepOutcome::success(std::move(*filled));
  }
  return vm.evaluate(value.lua_chunk, scope);
}

StepOutcome run_attempt_of(ExecutionRun& run, AttemptTarget target, const ActionState& state,
                           const Json& steps_scope, lua::Vm& vm, std::size_t memory_limit_bytes,
                           lua::Database* database, std::vector<Json>* outbox, const Json* lock,
                           const plugins::PluginHost* plugins) {
  const auto& step = *run.steps()[target.index].definition;
  if (!target.compensation && step.kind != definitions::StepKind::Action) {
    return StepOutcome::failure(StepError{"internal", "a wait or sleep step has no action to run", false, nullptr});
  }
  const auto& action = run.action(target);
  auto deadline = std::chrono::steady_clock::now() + action.timeout;
  // Compensations run after the execution's deadline too: that is when a timeout needs them.
  if (!target.compensation && run.deadline() && *run.deadline() < deadline) deadline = *run.deadline();
  if (action.kind == definitions::ActionKind::Plugin) {
    return run_plugin_action(run, target, state, action, plugins, database, outbox, deadline);
  }

  const auto& definition = run.definition();
  const auto script = definition.source.scripts.find(action.script);
  if (script == definition.source.scripts.end()) {
    return StepOutcome::failure(StepError{
        "invalid_script", "script '" + action.script + "' is not in the definition", false, nullptr});
  }

  const auto& record = run.record();
  lua::StepCall call;
  const std::string_view chunk_name = chunk_name_of(definition, action.script);
  const std::string step_id = run.attempt_id(target);
  call.script_source = script->second;
  call.chunk_name = chunk_name;
  call.input = &state.input;
  call.identity = identity_of(run, target, state);
  call.event = &run.event();
  call.execution_input = &record.input;
  call.steps = &steps_scope;
  call.deadline = deadline;
  call.memory_limit_bytes = memory_limit_bytes;
  call.cancelled = &run.cancel;
  call.db = database;
  call.outbox = outbox;
  call.lock = lock;
  auto outcome = vm.run_step(call);
  if (!outcome.ok() && !target.compensation && run.deadline() &&
      std::chrono::steady_clock::now() >= *run.deadline() &&
      (outcome.error().code == "timeout" || outcome.error().code == "cancelled")) {
    // Say which limit was hit: the execution's, not the step's own.
    return StepOutcome::failure(StepError{"timeout", "the execution reached its timeout", true, nullptr});
  }
  return outcome;
}

}  // namespace weft::engine
