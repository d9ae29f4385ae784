// CloudEvents transport bindings as pure functions (no I/O): the JSON batch
// format, and the binary content mode of the HTTP binding (header prefix `ce-`;
// Kafka's `ce_` reuses it). Every event ends in parse_event, so each intake
// refuses the same documents with the same errors.
#pragma once

#include "routing/event.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace weft::routing {

/// Either every event of a batch or one sentence saying what is wrong.
struct ParseBatchResult {
  std::optional<std::vector<Event>> events;  // set (possibly empty) when the whole batch is valid
  std::string error;                         // empty when `events` is set
};

/// A JSON batch (JSON format section 4: an array of events), all or nothing. An
/// empty array is a valid batch of no events. The first invalid element refuses
/// the whole batch, the error naming its index (from 0) and what parse_event said:
/// `event 3: event attribute "id" is required`. An element that is not an object
/// (a nested array included) is refused like any other invalid event. Never throws.
ParseBatchResult parse_event_batch(const Json& value);

/// parse_event_batch on JSON text.
ParseBatchResult parse_event_batch_text(std::string_view json_text);

/// One event in the binary content mode of the CloudEvents HTTP binding:
/// - every header whose name starts with `header_prefix` (names compare case-insensitively)
///   gives the attribute named by the rest of the header name, lower-cased; its value is
///   first freed of double-quoted strings (RFC 7230), then percent-decoded once, and must be
///   UTF-8. A `ce-datacontenttype`, `ce-data` or `ce-data_base64` header, the same attribute
///   twice or a bad encoding is refused, naming the header;
/// - `content_type` (the Content-Type header; empty when there is none) becomes `datacontenttype`;
/// - the body becomes the data: none when it is empty; else `data` parsed as JSON when the
///   media type is JSON (`*/json` or `*/*+json`; invalid JSON is refused); else `data` as a
///   string when the media type is `text/*` or has a `charset` and the body reads as text
///   (UTF-8 for charset utf-8 / us-ascii or none; plain ASCII for any other charset);
///   else `data_base64`, the body's bytes in base64.
/// The object built goes through parse_event, so attributes are checked (and errors worded)
/// as in structured mode. Values stay strings: `ce-count: 5` is the string "5".
/// Never throws.
ParseResult event_from_binary(const std::vector<std::pair<std::string, std::string>>& headers,
                              std::string_view body, std::string_view content_type,
                              std::string_view header_prefix = "ce-");

/// The media type of a Content-Type value, lower-cased, without parameters:
/// `Application/CloudEvents+JSON; charset=UTF-8` -> `application/cloudevents+json`.
/// Empty when `content_type` is not a media type.
std::string media_type_of(std::string_view content_type);

}  // namespace weft::routing
