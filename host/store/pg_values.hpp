// Conversions between store records and libpqxx fields and parameters.
// Internal to store/: nothing above the store sees libpqxx types.
#pragma once

#include "common/json.hpp"
#include "store/records.hpp"

#include <pqxx/pqxx>

#include <optional>
#include <string>
#include <vector>

namespace weft::store {

/// A text parameter that may be SQL NULL.
struct NullableText {
  std::optional<std::string> value;
};

inline NullableText text_or_null(const std::optional<std::string>& text) { return {text}; }
inline NullableText bigint_or_null(const std::optional<std::int64_t>& number) {
  return {number ? std::optional<std::string>(std::to_string(*number)) : std::nullopt};
}
/// JSON null becomes SQL NULL.
inline NullableText json_or_null(const Json& value) {
  return {value.is_null() ? std::nullopt : std::optional<std::string>(to_json_text(value))};
}

/// A PostgreSQL array literal of quoted text elements (`{"a","b"}`), for `$n::text[]` casts.
std::string to_pg_array(const std::vector<std::string>& elements);

/// A jsonb column (SQL NULL reads as JSON null).
Json json_column(const pqxx::field& field);
std::optional<std::string> optional_text(const pqxx::field& field);
std::optional<EpochMillis> optional_millis(const pqxx::field& field);

/// A stored definition from the columns workflow, content_hash, version,
/// source_path, yaml, scripts::text of weft.definitions, starting at `first`.
DefinitionSnapshot read_definition(const pqxx::row& row, int first);

/// A step's (or compensation's) state from the columns of select_step_states
/// (or select_compensations), starting at `first`.
StepState read_step_state(const pqxx::row& row, int first);

/// libpqxx 6 silently re-opens a broken connection, dropping prepared statements,
/// LISTENs and session state; weft wants the error instead (and reconnects itself).
void disable_reactivation(pqxx::connection_base& connection);

class JsonRows;
/// The fields of a NewExecution's row in a `jsonb_to_recordset` batch insert
/// (after JsonRows::row()); absent ones read as NULL.
void add_new_execution_fields(JsonRows& rows, const NewExecution& execution);
/// The fields of one event's `jsonb_to_recordset` row (after JsonRows::row()).
void add_event_fields(JsonRows& rows, const EventRecord& event);
/// Events as the `jsonb_to_recordset` rows of an insert.
std::string events_json(const std::vector<EventRecord>& events);

/// True for text PostgreSQL accepts as a uuid (so bad ids are "not found", not SQL errors).
bool is_uuid_text(const std::string& text);

}  // namespace weft::store

namespace pqxx {
template <>
struct string_traits<weft::store::NullableText> {
  static constexpr const char* name() noexcept { return "NullableText"; }
  static constexpr bool has_null() noexcept { return true; }
  static bool is_null(const weft::store::NullableText& text) { return !text.value.has_value(); }
  static weft::store::NullableText null() { return {}; }
  static void from_string(const char text[], weft::store::NullableText& out) { out.value = text; }
  static std::string to_string(const weft::store::NullableText& text) { return *text.value; }
};
}  // namespace pqxx
