#include "store/pg_values.hpp"

#include "common/ids.hpp"
#include "store/json_rows.hpp"

namespace weft::store {

std::string to_pg_array(const std::vector<std::string>& elements) {
  std::string literal = "{";
  for (std::size_t i = 0; i < elements.size(); ++i) {
    if (i > 0) literal += ',';
    literal += '"';
    for (char c : elements[i]) {
      if (c == '"' || c == '\\') literal += '\\';
      literal += c;
    }
    literal += '"';
  }
  return literal + "}";
}

Json json_column(const pqxx::field& field) {
  if (field.is_null()) return nullptr;
  auto parsed = parse_json(std::string_view(field.c_str(), field.size()));
  return parsed ? std::move(*parsed) : Json(nullptr);
}

std::optional<std::string> optional_text(const pqxx::field& field) {
  if (field.is_null()) return std::nullopt;
  return std::string(field.c_str(), field.size());
}

std::optional<EpochMillis> optional_millis(const pqxx::field& field) {
  if (field.is_null()) return std::nullopt;
  return field.as<EpochMillis>();
}

DefinitionSnapshot read_definition(const pqxx::row& row, int first) {
  DefinitionSnapshot snapshot;
  snapshot.workflow = row[first].c_str();
  snapshot.content_hash = row[first + 1].c_str();
  snapshot.version = row[first + 2].c_str();
  snapshot.source_path = row[first + 3].c_str();
  snapshot.yaml = row[first + 4].c_str();
  const Json scripts = json_column(row[first + 5]);
  if (const auto* object = scripts.if_object()) {
    for (const auto& entry : *object) {
      if (entry.value().is_string())
        snapshot.scripts[std::string(entry.key())] = std::string(entry.value().get_string());
    }
  }
  return snapshot;
}

StepState read_step_state(const pqxx::row& row, int first) {
  StepState step;
  step.step_id = row[first].c_str();
  step.status = row[first + 1].c_str();
  step.attempts = row[first + 2].as<int>();
  step.input = json_column(row[first + 3]);
  step.output = json_column(row[first + 4]);
  step.error = json_column(row[first + 5]);
  step.next_attempt_at = optional_millis(row[first + 6]);
  step.started_at = optional_millis(row[first + 7]);
  step.finished_at = optional_millis(row[first + 8]);
  if (!row[first + 9].is_null()) step.done_seq = row[first + 9].as<std::int64_t>();
  step.attempt_base = row[first + 10].as<int>();
  return step;
}

void disable_reactivation(pqxx::connection_base& connection) {
  // Deprecated in 6.4 but still the only switch for this behaviour.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  connection.inhibit_reactivation(true);
#pragma GCC diagnostic pop
}

void add_new_execution_fields(JsonRows& rows, const NewExecution& execution) {
  rows.field("id", execution.id);
  rows.field("workflow", execution.workflow);
  rows.field("content_hash", execution.content_hash);
  rows.field("version", execution.version);
  rows.field("trace_id", execution.trace_id);
  rows.field("input", execution.input);
  if (execution.key) rows.field("key", *execution.key);
  if (execution.event_source) rows.field("event_source", *execution.event_source);
  if (execution.event_id) rows.field("event_id", *execution.event_id);
  if (execution.timeout_ms) rows.field("timeout_ms", *execution.timeout_ms);
  if (execution.concurrency_key) rows.field("concurrency_key", *execution.concurrency_key);
  if (execution.concurrency_limit) rows.field("concurrency_limit", std::int64_t{*execution.concurrency_limit});
}

void add_event_fields(JsonRows& rows, const EventRecord& event) {
  rows.field("source", event.source);
  rows.field("id", event.id);
  rows.field("type", event.type);
  rows.field("trace_id", event.trace_id);
  rows.field("document", event.document);
}

std::string events_json(const std::vector<EventRecord>& events) {
  JsonRows rows;
  for (const auto& event : events) {
    rows.row();
    add_event_fields(rows, event);
  }
  return rows.finish();
}

bool is_uuid_text(const std::string& text) { return is_uuid(text); }

}  // namespace weft::store
