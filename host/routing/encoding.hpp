// The text formats CloudEvents leans on, checked without I/O: RFC 2046 media
// types, RFC 4648 base64, UTF-8, absolute URIs (RFC 3986) and the quoted
// strings of HTTP header values (RFC 7230). Used by event.cpp (the JSON format)
// and event_binding.cpp (the transport bindings).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace weft::routing {

/// A parsed `type/subtype; name=value` (RFC 2046, with the header syntax of
/// RFC 9110 section 8.3.1: optional whitespace around `;`, quoted parameter values).
struct MediaType {
  std::string type;     // lower-case
  std::string subtype;  // lower-case
  std::vector<std::pair<std::string, std::string>> parameters;  // names lower-case, values unquoted

  /// `type/subtype`.
  std::string essence() const { return type + "/" + subtype; }
  /// The value of parameter `name` (lower-case), if given.
  const std::string* parameter(std::string_view name) const;
  /// True for JSON content as the CloudEvents JSON format defines it: `*/json` or `*/*+json`.
  bool is_json() const;
};

/// nullopt unless `text` (surrounding whitespace allowed) is a media type.
std::optional<MediaType> parse_media_type(std::string_view text);

/// True for RFC 4648 base64 (standard alphabet, padded to a multiple of 4; "" is valid).
bool is_base64(std::string_view text);

/// RFC 4648 base64 of `bytes`, padded.
std::string base64_encode(std::string_view bytes);
/// The bytes of RFC 4648 base64 text; nullopt when it is not (is_base64).
std::optional<std::string> base64_decode(std::string_view text);

/// True when `bytes` is well-formed UTF-8 (no overlong forms, surrogates or code points past U+10FFFF).
bool is_utf8(std::string_view bytes);

/// True when UTF-8 `text` holds a control character (U+0000-U+001F, U+007F-U+009F),
/// which CloudEvents forbids in String attribute values.
bool has_control_character(std::string_view text);

/// True for an absolute URI: a scheme (`ALPHA *(ALPHA / DIGIT / + / - / .)`), `:`,
/// then only characters RFC 3986 allows, every `%` starting an escape of two hex digits.
bool is_absolute_uri(std::string_view text);

/// Removes the double-quoted strings of an HTTP header value (RFC 7230 section 3.2.6):
/// `"a \"b\""` becomes `a "b"`; text outside quotes is kept. nullopt for an unterminated quote.
std::optional<std::string> unquote_header_value(std::string_view value);

/// Decodes every `%XY` (hex digits in either case). nullopt for a `%` not followed by two hex digits.
std::optional<std::string> percent_decode(std::string_view text);

}  // namespace weft::routing
