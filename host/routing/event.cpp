#include "routing/event.hpp"

#include "common/ids.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>

namespace weft::routing {
namespace {

ParseResult fail(std::string message) { return ParseResult{std::nullopt, std::move(message)}; }

std::string quoted(std::string_view attribute) {
  return "event attribute \"" + std::string(attribute) + "\"";
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

/// Reads `count` digits at `pos`; -1 if any is not a digit or the text is too short.
int read_number(std::string_view text, std::size_t pos, std::size_t count) {
  if (pos + count > text.size()) return -1;
  int value = 0;
  for (std::size_t i = pos; i < pos + count; ++i) {
    if (!is_digit(text[i])) return -1;
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

int days_in_month(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[month - 1];
}

bool is_trace_id(std::string_view text) {
  if (text.size() != 32) return false;
  bool all_zero = true;
  for (char c : text) {
    if (!(is_digit(c) || (c >= 'a' && c <= 'f'))) return false;
    all_zero = all_zero && c == '0';
  }
  return !all_zero;
}

/// Checks an optional identifying attribute; fills `out` with the value or `fallback`.
std::optional<std::string> read_name(const JsonObject& object, std::string_view attribute,
                                     std::string fallback, std::string& out) {
  const auto it = object.find(attribute);
  if (it == object.end()) {
    out = std::move(fallback);
    return std::nullopt;
  }
  const auto* text = it->value().if_string();
  if (text == nullptr || text->empty() || text->size() > kMaxAttributeLength) {
    return quoted(attribute) + " must be a non-empty string of at most " +
           std::to_string(kMaxAttributeLength) + " bytes";
  }
  out.assign(text->data(), text->size());
  return std::nullopt;
}

std::string trace_id_of(const JsonObject& object) {
  if (const auto it = object.find("traceparent"); it != object.end()) {
    if (const auto* header = it->value().if_string()) {
      if (auto trace_id = trace_id_from_traceparent(*header)) return *std::move(trace_id);
    }
  }
  if (const auto it = object.find("traceid"); it != object.end()) {
    if (const auto* text = it->value().if_string(); text != nullptr && is_trace_id(*text)) {
      return std::string(*text);
    }
  }
  return new_trace_id();
}

}  // namespace

bool is_rfc3339_timestamp(std::string_view text) {
  // 0123456789012345678
  // YYYY-MM-DDTHH:MM:SS
  if (text.size() < 20) return false;
  const int year = read_number(text, 0, 4);
  const int month = read_number(text, 5, 2);
  const int day = read_number(text, 8, 2);
  const int hour = read_number(text, 11, 2);
  const int minute = read_number(text, 14, 2);
  const int second = read_number(text, 17, 2);
  if (year < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 || minute < 0 ||
      minute > 59 || second < 0 || second > 60)
    return false;
  if (day > days_in_month(year, month)) return false;
  if (text[4] != '-' || text[7] != '-' || (text[10] != 'T' && text[10] != 't') ||
      text[13] != ':' || text[16] != ':')
    return false;
  std::size_t pos = 19;
  if (text[pos] == '.') {
    const std::size_t start = ++pos;
    while (pos < text.size() && is_digit(text[pos])) ++pos;
    if (pos == start) return false;
  }
  const auto offset = text.substr(pos);
  if (offset == "Z" || offset == "z") return true;
  if (offset.size() != 6 || (offset[0] != '+' && offset[0] != '-') || offset[3] != ':') return false;
  const int offset_hours = read_number(offset, 1, 2);
  const int offset_minutes = read_number(offset, 4, 2);
  return offset_hours >= 0 && offset_hours <= 23 && offset_minutes >= 0 && offset_minutes <= 59;
}

std::string utc_now_rfc3339() {
  const auto now = std::chrono::system_clock::now();
  const auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buffer[64];  // room for any int the compiler imagines, to keep -Wformat-truncation quiet
  std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                static_cast<int>(millis));
  return buffer;
}

ParseResult parse_event(const Json& value) {
  const auto* object = value.if_object();
  if (object == nullptr) return fail("event must be a JSON object");

  Event event;
  const auto type = object->find("type");
  if (type == object->end()) return fail(quoted("type") + " is required");
  if (auto error = read_name(*object, "type", {}, event.type)) return fail(*std::move(error));

  const auto data = object->find("data");
  if (data == object->end()) return fail(quoted("data") + " is required");
  event.data = data->value();

  if (const auto it = object->find("specversion"); it != object->end()) {
    const auto* text = it->value().if_string();
    if (text == nullptr || *text != "1.0") return fail(quoted("specversion") + " must be \"1.0\"");
  }
  event.specversion = "1.0";

  if (auto error = read_name(*object, "id", std::string{}, event.id)) return fail(*std::move(error));
  if (event.id.empty()) event.id = new_uuid();
  if (auto error = read_name(*object, "source", "weft", event.source)) return fail(*std::move(error));

  if (const auto it = object->find("time"); it != object->end()) {
    const auto* text = it->value().if_string();
    if (text == nullptr || !is_rfc3339_timestamp(*text)) {
      return fail(quoted("time") + " must be an RFC 3339 timestamp such as 2026-11-21T10:30:00Z");
    }
    event.time.assign(text->data(), text->size());
  } else {
    event.time = utc_now_rfc3339();
  }

  event.trace_id = trace_id_of(*object);

  JsonObject document = *object;
  document["specversion"] = event.specversion;
  document["id"] = event.id;
  document["source"] = event.source;
  document["time"] = event.time;
  document["traceid"] = event.trace_id;
  event.document = std::move(document);
  return ParseResult{std::move(event), {}};
}

ParseResult parse_event_text(std::string_view json_text) {
  std::string error;
  const auto value = parse_json(json_text, &error);
  if (!value) return fail(std::move(error));  // parse_json's message already says "invalid JSON"
  return parse_event(*value);
}

}  // namespace weft::routing
