// CloudEvents 1.0 in structured JSON mode (SPEC section 1): validation, defaults
// (id, source, specversion, time) and the trace id every event carries.
#pragma once

#include "common/json.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace weft::routing {

/// Longest accepted `id`, `source` and `type`, in (UTF-8) bytes. CloudEvents sets no
/// limit; ours keeps one hostile event from bloating every index and log line.
inline constexpr std::size_t kMaxAttributeLength = 256;

/// One accepted event. `document` is what is stored and what triggers and `${ }`
/// expressions see as `event`: the CloudEvent object as received (extension
/// attributes included) with `specversion`, `id`, `source`, `time` filled in and
/// `traceid` set to `trace_id`.
struct Event {
  std::string id;
  std::string source;
  std::string type;
  std::string specversion;
  std::string time;      // RFC 3339, as given or the time of parsing (UTC, milliseconds)
  std::string trace_id;  // 32 lower-case hex digits, never all zero
  Json data;
  Json document;
};

/// Either an event or one sentence saying what is wrong with the input.
struct ParseResult {
  std::optional<Event> event;
  std::string error;  // empty when `event` is set
};

/// Validates one CloudEvent and fills in its defaults. Rules:
/// - it is a JSON object; `type` (non-empty string) and `data` (any JSON, null
///   included) are required;
/// - `specversion`, if present, is the string "1.0" (default "1.0");
/// - `id` (default: a new UUID) and `source` (default "weft"), if present, are
///   non-empty strings of at most kMaxAttributeLength bytes, as is `type`;
/// - `time`, if present, is an RFC 3339 timestamp string (`2026-11-21T10:30:00Z`,
///   fraction and offset allowed); default: now;
/// - the trace id is that of a valid W3C `traceparent`, else a valid `traceid`
///   attribute (32 lower-case hex, not all zero), else a new one. Invalid values
///   of either are ignored, as W3C trace-context asks of receivers.
/// `data_base64` (binary data) is not supported: such an event lacks `data`.
/// Never throws.
ParseResult parse_event(const Json& value);

/// parse_event on JSON text holding one event object.
ParseResult parse_event_text(std::string_view json_text);

/// True when `text` has the shape of an RFC 3339 date-time
/// (`YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)`, `T`/`Z` in either case)
/// and its fields are in range (the day exists in that month; second 60 allowed for leap seconds).
bool is_rfc3339_timestamp(std::string_view text);

/// The current UTC time as RFC 3339 with milliseconds: `2026-11-21T10:30:00.123Z`.
std::string utc_now_rfc3339();

}  // namespace weft::routing
