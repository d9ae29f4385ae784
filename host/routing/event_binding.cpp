#include "routing/event_binding.hpp"

#include "routing/encoding.hpp"

#include <algorithm>

namespace weft::routing {
namespace {

std::string lower_ascii(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; });
  return out;
}

bool starts_with_ignoring_case(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && lower_ascii(text.substr(0, prefix.size())) == lower_ascii(prefix);
}

std::string_view trimmed(std::string_view text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

/// An attribute header's value as the HTTP binding says to decode it; nullopt with `error` set if it cannot be.
std::optional<std::string> decode_header_value(std::string_view raw, std::string& error) {
  const auto unquoted = unquote_header_value(trimmed(raw));
  if (!unquoted) {
    error = "has an unterminated or malformed quoted string";
    return std::nullopt;
  }
  auto decoded = percent_decode(*unquoted);
  if (!decoded) {
    error = "has a '%' that is not followed by two hex digits";
    return std::nullopt;
  }
  if (!is_utf8(*decoded)) {
    error = "is not UTF-8 once percent-decoded";
    return std::nullopt;
  }
  return decoded;
}

bool is_ascii(std::string_view bytes) {
  return std::all_of(bytes.begin(), bytes.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

/// True when the body of a text media type can be stored as a JSON string without changing its meaning.
bool reads_as_text(const MediaType& media, std::string_view body) {
  const auto* charset = media.parameter("charset");
  if (charset == nullptr && media.type != "text") return false;
  const auto name = charset == nullptr ? std::string("utf-8") : lower_ascii(*charset);
  if (name == "utf-8" || name == "utf8" || name == "us-ascii") return is_utf8(body);
  return is_ascii(body);  // another charset: only what reads the same in any ASCII-based one
}

}  // namespace

ParseBatchResult parse_event_batch(const Json& value) {
  const auto* array = value.if_array();
  if (array == nullptr) return {std::nullopt, "an event batch must be a JSON array"};
  std::vector<Event> events;
  events.reserve(array->size());
  for (std::size_t i = 0; i < array->size(); ++i) {
    auto result = parse_event((*array)[i]);
    if (!result.event) return {std::nullopt, "event " + std::to_string(i) + ": " + result.error};
    events.push_back(*std::move(result.event));
  }
  return {std::move(events), {}};
}

ParseBatchResult parse_event_batch_text(std::string_view json_text) {
  std::string error;
  const auto value = parse_json(json_text, &error);
  if (!value) return {std::nullopt, std::move(error)};  // parse_json's message already says "invalid JSON"
  return parse_event_batch(*value);
}

ParseResult event_from_binary(const std::vector<std::pair<std::string, std::string>>& headers,
                              std::string_view body, std::string_view content_type,
                              std::string_view header_prefix) {
  const auto refuse = [](std::string message) { return ParseResult{std::nullopt, std::move(message)}; };
  JsonObject object;
  for (const auto& [name, raw] : headers) {
    if (!starts_with_ignoring_case(name, header_prefix)) continue;
    const auto header = "header \"" + name + "\"";
    const auto attribute = lower_ascii(std::string_view(name).substr(header_prefix.size()));
    if (attribute == "datacontenttype") {
      return refuse(header + " is not allowed in binary mode: the Content-Type header gives datacontenttype");
    }
    if (attribute == "data" || attribute == "data_base64") {
      return refuse(header + " is not allowed in binary mode: the body carries the data");
    }
    if (object.contains(attribute)) return refuse(header + " is given more than once");
    std::string error;
    auto value = decode_header_value(raw, error);
    if (!value) return refuse(header + " " + error);
    object[attribute] = *std::move(value);
  }

  const auto declared = trimmed(content_type);
  std::optional<MediaType> media;
  if (!declared.empty()) {
    object["datacontenttype"] = declared;
    media = parse_media_type(declared);
    // An unreadable Content-Type: parse_event refuses it, naming datacontenttype.
    if (!media) return parse_event(object);
  }
  if (!body.empty()) {
    if (media && media->is_json()) {
      std::string error;
      auto data = parse_json(body, &error);
      if (!data) return refuse("event body (" + media->essence() + "): " + error);
      object["data"] = *std::move(data);
    } else if (media && reads_as_text(*media, body)) {
      object["data"] = body;
    } else {
      object["data_base64"] = base64_encode(body);
    }
  }
  return parse_event(object);
}

std::string media_type_of(std::string_view content_type) {
  const auto media = parse_media_type(content_type);
  return media ? media->essence() : std::string();
}

}  // namespace weft::routing
