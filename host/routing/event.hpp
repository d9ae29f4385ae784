// CloudEvents 1.0 in structured JSON mode, checked strictly:
// validation, the `time` default and the trace id every event carries.
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
/// attributes included, attributes given as null left out) with `time` filled in
/// and `traceid` set to `trace_id`.
struct Event {
  std::string id;
  std::string source;
  std::string type;
  std::string specversion;
  std::string time;      // RFC 3339, as given or the time of parsing (UTC, milliseconds)
  std::string trace_id;  // 32 lower-case hex digits, never all zero
  Json data;             // `data` as given; null when absent (or when the event has `data_base64`)
  Json document;
};

/// Either an event or one sentence saying what is wrong with the input.
struct ParseResult {
  std::optional<Event> event;
  std::string error;  // empty when `event` is set
};

/// Validates one CloudEvent 1.0 (JSON format) strictly; what a producer must give
/// is never filled in. Rules, checked in this order (the first broken one is the error):
/// - it is a JSON object; an attribute given as null counts as absent (JSON format
///   section 2.2), except `data`, where null is a payload;
/// - `specversion` is required and is the string "1.0";
/// - `id`, `source` and `type` are required non-empty strings of at most
///   kMaxAttributeLength bytes;
/// - `time`, if present, is an RFC 3339 timestamp string (`2026-11-21T10:30:00Z`,
///   fraction and offset allowed); default: now;
/// - `datacontenttype`, if present, is an RFC 2046 media type (`type/subtype`,
///   optional `; name=value` parameters);
/// - `dataschema`, if present, is an absolute URI; `subject`, if present, a non-empty string;
/// - `data` (any JSON) is optional; `data_base64`, if present, is a base64 string,
///   and never comes with `data`;
/// - any other member is an extension attribute: its name is 1 to 20 lower-case
///   letters or digits, its value a string, a boolean or an integer in the
///   CloudEvents Integer range (32-bit signed); objects, arrays and fractions are refused;
/// - no string attribute holds a control character (U+0000-U+001F, U+007F-U+009F);
/// - the trace id is that of a valid W3C `traceparent`, else a valid `traceid`
///   attribute (32 lower-case hex, not all zero), else a new one. Invalid values
///   of either are ignored, as W3C trace-context asks of receivers.
/// Errors name the attribute: `event attribute "id" is required`. Never throws.
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
