#include "routing/event.hpp"

#include "common/ids.hpp"
#include "routing/encoding.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <limits>

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

/// Longest extension attribute name (CloudEvents 1.0: names SHOULD NOT exceed 20 characters).
constexpr std::size_t kMaxExtensionNameLength = 20;

/// Members that are not extension attributes.
constexpr std::array<std::string_view, 10> kKnownMembers = {
    "specversion", "id", "source", "type", "time", "datacontenttype", "dataschema", "subject", "data",
    "data_base64"};

/// The member's value; nullptr when it is absent or null (JSON format: null means unset).
const Json* attribute_of(const JsonObject& object, std::string_view name) {
  const auto it = object.find(name);
  return it == object.end() || it->value().is_null() ? nullptr : &it->value();
}

/// Reads a required identifying attribute (`id`, `source`, `type`) into `out`; the error, if any.
std::optional<std::string> read_required(const JsonObject& object, std::string_view attribute,
                                         std::string& out) {
  const auto* value = attribute_of(object, attribute);
  if (value == nullptr) return quoted(attribute) + " is required";
  const auto* text = value->if_string();
  if (text == nullptr || text->empty() || text->size() > kMaxAttributeLength) {
    return quoted(attribute) + " must be a non-empty string of at most " +
           std::to_string(kMaxAttributeLength) + " bytes";
  }
  if (has_control_character(*text)) return quoted(attribute) + " must not contain control characters";
  out.assign(text->data(), text->size());
  return std::nullopt;
}

/// Checks the optional attributes whose value is a string of some shape.
std::optional<std::string> check_optional(const JsonObject& object) {
  if (const auto* value = attribute_of(object, "datacontenttype")) {
    const auto* text = value->if_string();
    if (text == nullptr || !parse_media_type(*text)) {
      return quoted("datacontenttype") +
             " must be a media type such as application/json (type/subtype, optional ; parameters)";
    }
  }
  if (const auto* value = attribute_of(object, "dataschema")) {
    const auto* text = value->if_string();
    if (text == nullptr || !is_absolute_uri(*text)) {
      return quoted("dataschema") + " must be a non-empty absolute URI such as https://example.com/schema.json";
    }
  }
  if (const auto* value = attribute_of(object, "subject")) {
    const auto* text = value->if_string();
    if (text == nullptr || text->empty()) return quoted("subject") + " must be a non-empty string";
    if (has_control_character(*text)) return quoted("subject") + " must not contain control characters";
  }
  return std::nullopt;
}

/// True when a string or member name anywhere in `value` holds U+0000.
bool holds_nul(const Json& value) {
  const auto has_nul = [](std::string_view text) { return text.find('\0') != std::string_view::npos; };
  if (const auto* text = value.if_string()) return has_nul(*text);
  if (const auto* array = value.if_array())
    return std::any_of(array->begin(), array->end(), [](const Json& item) { return holds_nul(item); });
  if (const auto* object = value.if_object()) {
    return std::any_of(object->begin(), object->end(),
                       [&](const auto& member) { return has_nul(member.key()) || holds_nul(member.value()); });
  }
  return false;
}

std::optional<std::string> check_data(const JsonObject& object) {
  // PostgreSQL's jsonb has no representation for it: refused here with a way
  // out, rather than by the database with an SQLSTATE.
  if (const auto data = object.find("data"); data != object.end() && holds_nul(data->value()))
    return quoted("data") + " must not contain the character U+0000 (\\u0000); send such bytes as data_base64";
  const auto* base64 = attribute_of(object, "data_base64");
  if (base64 == nullptr) return std::nullopt;
  if (object.contains("data")) return quoted("data_base64") + " cannot be given together with \"data\"";
  const auto* text = base64->if_string();
  if (text == nullptr || !is_base64(*text)) {
    return quoted("data_base64") + " must be a base64 string (RFC 4648, padded)";
  }
  return std::nullopt;
}

/// A member name fit for an error message: control characters escaped, at most 40 bytes shown.
std::string shown_name(std::string_view name) {
  constexpr std::size_t kShown = 40;
  std::string out;
  for (const char c : name.substr(0, kShown)) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\x%02X", static_cast<unsigned>(static_cast<unsigned char>(c)));
      out += escaped;
    } else {
      out += c;
    }
  }
  if (name.size() > kShown) out += "...";
  return out;
}

bool is_extension_name(std::string_view name) {
  return !name.empty() && name.size() <= kMaxExtensionNameLength &&
         std::all_of(name.begin(), name.end(), [](char c) { return is_digit(c) || (c >= 'a' && c <= 'z'); });
}

/// CloudEvents Integer: a JSON number with no fraction, in the signed 32-bit range.
using CeInteger = std::numeric_limits<std::int32_t>;

bool is_ce_integer(const Json& value) {
  if (const auto* number = value.if_int64()) return *number >= CeInteger::min() && *number <= CeInteger::max();
  if (const auto* number = value.if_uint64()) return *number <= static_cast<std::uint64_t>(CeInteger::max());
  return false;
}

std::optional<std::string> check_extensions(const JsonObject& object) {
  for (const auto& member : object) {
    const std::string_view name = member.key();
    if (std::find(kKnownMembers.begin(), kKnownMembers.end(), name) != kKnownMembers.end()) continue;
    if (!is_extension_name(name)) {
      return quoted(shown_name(name)) + " has an invalid name: extension attribute names are 1 to " +
             std::to_string(kMaxExtensionNameLength) + " lower-case letters (a-z) or digits";
    }
    const auto& value = member.value();
    if (const auto* text = value.if_string()) {
      if (has_control_character(*text)) return quoted(name) + " must not contain control characters";
    } else if (!value.is_null() && !value.is_bool() && !is_ce_integer(value)) {
      return quoted(name) + " must be a string, a boolean or an integer from " + std::to_string(CeInteger::min()) +
             " to " + std::to_string(CeInteger::max());
    }
  }
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
  const auto* specversion = attribute_of(*object, "specversion");
  if (specversion == nullptr) return fail(quoted("specversion") + " is required");
  if (const auto* text = specversion->if_string(); text == nullptr || *text != "1.0") {
    return fail(quoted("specversion") + " must be \"1.0\"");
  }
  event.specversion = "1.0";
  if (auto error = read_required(*object, "id", event.id)) return fail(*std::move(error));
  if (auto error = read_required(*object, "source", event.source)) return fail(*std::move(error));
  if (auto error = read_required(*object, "type", event.type)) return fail(*std::move(error));

  if (const auto* time = attribute_of(*object, "time")) {
    const auto* text = time->if_string();
    if (text == nullptr || !is_rfc3339_timestamp(*text)) {
      return fail(quoted("time") + " must be an RFC 3339 timestamp such as 2026-11-21T10:30:00Z");
    }
    event.time.assign(text->data(), text->size());
  } else {
    event.time = utc_now_rfc3339();
  }
  if (auto error = check_optional(*object)) return fail(*std::move(error));
  if (auto error = check_data(*object)) return fail(*std::move(error));
  if (auto error = check_extensions(*object)) return fail(*std::move(error));

  if (const auto data = object->find("data"); data != object->end()) event.data = data->value();
  event.trace_id = trace_id_of(*object);

  JsonObject document;
  document.reserve(object->size() + 2);
  for (const auto& member : *object) {
    if (!member.value().is_null() || member.key() == "data") document.emplace(member.key(), member.value());
  }
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
