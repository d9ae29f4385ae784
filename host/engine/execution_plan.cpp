#include "engine/execution_plan.hpp"

#include "common/ids.hpp"
#include "engine/step_runner.hpp"

namespace weft::engine {
namespace {

std::optional<std::string> key_text(const Json& value) {
  if (value.is_string()) {
    if (value.get_string().empty()) return std::nullopt;
    return std::string(value.get_string());
  }
  if (value.is_int64()) return std::to_string(value.get_int64());
  if (value.is_uint64()) return std::to_string(value.get_uint64());
  if (value.is_double()) return to_json_text(value);
  if (value.is_bool()) return value.get_bool() ? "true" : "false";
  return std::nullopt;
}

}  // namespace

Plan plan_execution(const definitions::Definition& definition, const PlanRequest& request,
                    lua::Vm& vm) {
  Plan plan;
  const Json null_value;
  const Json* event = request.event ? request.event : &null_value;
  lua::Scope scope;
  scope.event = event;

  Json input;
  if (request.input) {
    input = *request.input;
  } else if (definition.input) {
    auto outcome = evaluate_template(*definition.input, scope, vm);
    if (!outcome.ok()) {
      plan.error = "workflow '" + definition.id + "': input: " + outcome.error().message;
      return plan;
    }
    input = outcome.output();
  } else if (const auto* data = find_path(*event, "data")) {
    input = *data;
  }

  std::optional<std::string> key = request.key;
  if (!key && definition.key) {
    scope.input = &input;
    auto outcome = evaluate_template(*definition.key, scope, vm);
    if (!outcome.ok()) {
      plan.error = "workflow '" + definition.id + "': key: " + outcome.error().message;
      return plan;
    }
    key = key_text(outcome.output());
    if (!key) {
      plan.error = "workflow '" + definition.id + "': key evaluated to " +
                   to_json_text(outcome.output()) + "; it must be a non-empty string or a number";
      return plan;
    }
  }

  std::optional<std::string> concurrency_key;
  if (definition.concurrency) {
    scope.input = &input;
    auto outcome = evaluate_template(definition.concurrency->key, scope, vm);
    if (!outcome.ok()) {
      plan.error = "workflow '" + definition.id + "': concurrency key: " + outcome.error().message;
      return plan;
    }
    // An empty key (or none) is one shared limit for the whole workflow.
    concurrency_key = key_text(outcome.output()).value_or("");
  }

  store::NewExecution execution;
  execution.id = new_uuid();
  execution.workflow = definition.id;
  execution.content_hash = definition.content_hash;
  execution.version = definition.version;
  execution.key = std::move(key);
  execution.trace_id = request.trace_id.empty() ? new_trace_id() : request.trace_id;
  execution.event_source = request.event_source;
  execution.event_id = request.event_id;
  execution.input = std::move(input);
  if (definition.timeout) execution.timeout_ms = definition.timeout->count();
  if (definition.concurrency) {
    execution.concurrency_key = std::move(concurrency_key);
    execution.concurrency_limit = definition.concurrency->limit;
  }
  plan.execution = std::move(execution);
  return plan;
}

store::DefinitionSnapshot snapshot_of(const definitions::Definition& definition) {
  store::DefinitionSnapshot snapshot;
  snapshot.workflow = definition.id;
  snapshot.content_hash = definition.content_hash;
  snapshot.version = definition.version;
  snapshot.source_path = definition.source.path;
  snapshot.yaml = definition.source.yaml;
  snapshot.scripts = definition.source.scripts;
  return snapshot;
}

}  // namespace weft::engine
