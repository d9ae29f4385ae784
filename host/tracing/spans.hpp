// A finished span, as the engine reports it, and where it goes. The engine
// holds a SpanSink only when tracing is on (`weft serve --otlp URL`); without
// one it builds no spans at all.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace weft::tracing {

using AttributeValue = std::variant<std::string, std::int64_t, bool>;

struct Span {
  std::string trace_id;        // 32 lower-case hex digits
  std::string span_id;         // 16
  std::string parent_span_id;  // 16, or empty for a root
  std::string name;
  std::int64_t start_unix_nano = 0;
  std::int64_t end_unix_nano = 0;
  std::vector<std::pair<std::string, AttributeValue>> attributes;
  bool error = false;
  std::string status_message;  // with `error`
};

class SpanSink {
 public:
  virtual ~SpanSink() = default;
  /// Takes a finished span. Must not block: called on the engine's threads.
  virtual void record(Span span) = 0;
};

/// A span id derived from `seed` (16 hex digits, never all zero): the same
/// attempt reported again after a crash gets the same id, not a second span.
std::string span_id_of(std::string_view seed);

/// The parent span id of a W3C traceparent ("00-<trace>-<span>-<flags>"), or "".
std::string parent_span_of(std::string_view traceparent);

}  // namespace weft::tracing
