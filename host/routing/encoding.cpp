#include "routing/encoding.hpp"

#include <algorithm>
#include <cstdint>

namespace weft::routing {
namespace {

constexpr std::string_view kBase64Alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

int hex_value(char c) {
  if (is_digit(c)) return c - '0';
  return lower(c) - 'a' + 10;
}

/// RFC 9110 `tchar`: what a media type's names and unquoted values are made of.
bool is_tchar(char c) {
  return is_alpha(c) || is_digit(c) || std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

std::size_t skip_whitespace(std::string_view text, std::size_t pos) {
  while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\t')) ++pos;
  return pos;
}

/// The token at `pos` (lower-cased), moving `pos` past it; empty when there is none.
std::string read_token(std::string_view text, std::size_t& pos) {
  std::string token;
  while (pos < text.size() && is_tchar(text[pos])) token += lower(text[pos++]);
  return token;
}

/// Reads the quoted-string starting at `pos` (a `"`) into `out` without its quotes and
/// escapes, moving `pos` past it. False when it is unterminated or holds a control character.
bool read_quoted_string(std::string_view text, std::size_t& pos, std::string& out) {
  const auto allowed = [](unsigned char c) { return c == '\t' || (c >= 0x20 && c != 0x7F); };
  for (++pos; pos < text.size(); ++pos) {
    const auto c = static_cast<unsigned char>(text[pos]);
    if (c == '"') {
      ++pos;
      return true;
    }
    if (c == '\\') {
      if (++pos == text.size() || !allowed(static_cast<unsigned char>(text[pos]))) return false;
      out += text[pos];
    } else if (allowed(c)) {
      out += text[pos];
    } else {
      return false;
    }
  }
  return false;
}

}  // namespace

const std::string* MediaType::parameter(std::string_view name) const {
  const auto it = std::find_if(parameters.begin(), parameters.end(),
                               [&](const auto& parameter) { return parameter.first == name; });
  return it == parameters.end() ? nullptr : &it->second;
}

bool MediaType::is_json() const {
  constexpr std::string_view kSuffix = "+json";
  return subtype == "json" ||
         (subtype.size() > kSuffix.size() && std::string_view(subtype).substr(subtype.size() - kSuffix.size()) == kSuffix);
}

std::optional<MediaType> parse_media_type(std::string_view text) {
  MediaType media;
  std::size_t pos = skip_whitespace(text, 0);
  media.type = read_token(text, pos);
  if (media.type.empty() || pos == text.size() || text[pos] != '/') return std::nullopt;
  ++pos;
  media.subtype = read_token(text, pos);
  if (media.subtype.empty()) return std::nullopt;
  while (true) {
    pos = skip_whitespace(text, pos);
    if (pos == text.size()) return media;
    if (text[pos] != ';') return std::nullopt;
    pos = skip_whitespace(text, pos + 1);
    if (pos == text.size() || text[pos] == ';') continue;  // an empty parameter, as RFC 9110 allows
    auto name = read_token(text, pos);
    if (name.empty() || pos == text.size() || text[pos] != '=') return std::nullopt;
    ++pos;
    std::string value;
    if (pos < text.size() && text[pos] == '"') {
      if (!read_quoted_string(text, pos, value)) return std::nullopt;
    } else {
      while (pos < text.size() && is_tchar(text[pos])) value += text[pos++];
      if (value.empty()) return std::nullopt;
    }
    media.parameters.emplace_back(std::move(name), std::move(value));
  }
}

bool is_base64(std::string_view text) {
  if (text.size() % 4 != 0) return false;
  std::size_t padding = 0;
  while (padding < 2 && padding < text.size() && text[text.size() - 1 - padding] == '=') ++padding;
  return std::all_of(text.begin(), text.end() - static_cast<std::ptrdiff_t>(padding),
                     [](char c) { return kBase64Alphabet.find(c) != std::string_view::npos; });
}

std::string base64_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    const std::size_t left = std::min<std::size_t>(3, bytes.size() - i);
    std::uint32_t group = 0;
    for (std::size_t k = 0; k < 3; ++k) {
      group = (group << 8) | (k < left ? static_cast<unsigned char>(bytes[i + k]) : 0U);
    }
    for (std::size_t k = 0; k < 4; ++k) {
      out += k <= left ? kBase64Alphabet[(group >> (18 - 6 * k)) & 0x3F] : '=';
    }
  }
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  if (!is_base64(text)) return std::nullopt;
  std::string out;
  out.reserve(text.size() / 4 * 3);
  std::uint32_t group = 0;
  int bits = 0;
  for (const char c : text) {
    if (c == '=') break;
    group = (group << 6) | static_cast<std::uint32_t>(kBase64Alphabet.find(c));
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((group >> bits) & 0xFF);
    }
  }
  return out;
}

bool is_utf8(std::string_view bytes) {
  std::size_t i = 0;
  while (i < bytes.size()) {
    const auto lead = static_cast<unsigned char>(bytes[i]);
    std::size_t length = 0;
    std::uint32_t code = 0;
    if (lead < 0x80) {
      ++i;
      continue;
    } else if (lead >= 0xC2 && lead <= 0xDF) {
      length = 2;
      code = lead & 0x1F;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      length = 3;
      code = lead & 0x0F;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      length = 4;
      code = lead & 0x07;
    } else {
      return false;  // a continuation byte, or a lead byte only overlong forms use (C0, C1, F5-FF)
    }
    if (i + length > bytes.size()) return false;
    for (std::size_t k = 1; k < length; ++k) {
      const auto next = static_cast<unsigned char>(bytes[i + k]);
      if ((next & 0xC0) != 0x80) return false;
      code = (code << 6) | (next & 0x3F);
    }
    if ((length == 3 && code < 0x800) || (length == 4 && (code < 0x10000 || code > 0x10FFFF)) ||
        (code >= 0xD800 && code <= 0xDFFF))
      return false;
    i += length;
  }
  return true;
}

bool has_control_character(std::string_view text) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c == 0x7F) return true;
    // U+0080-U+009F are C2 80 - C2 9F in UTF-8.
    if (c == 0xC2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) <= 0x9F &&
        static_cast<unsigned char>(text[i + 1]) >= 0x80)
      return true;
  }
  return false;
}

bool is_absolute_uri(std::string_view text) {
  std::size_t pos = 0;
  if (text.empty() || !is_alpha(text[0])) return false;
  while (pos < text.size() && (is_alpha(text[pos]) || is_digit(text[pos]) || text[pos] == '+' ||
                               text[pos] == '-' || text[pos] == '.'))
    ++pos;
  if (pos == text.size() || text[pos] != ':') return false;
  constexpr std::string_view kAllowed = "-._~:/?#[]@!$&'()*+,;=";
  for (++pos; pos < text.size(); ++pos) {
    const char c = text[pos];
    if (c == '%') {
      if (pos + 2 >= text.size() || !is_hex(text[pos + 1]) || !is_hex(text[pos + 2])) return false;
      pos += 2;
    } else if (!is_alpha(c) && !is_digit(c) && kAllowed.find(c) == std::string_view::npos) {
      return false;
    }
  }
  return true;
}

std::optional<std::string> unquote_header_value(std::string_view value) {
  std::string out;
  std::size_t pos = 0;
  while (pos < value.size()) {
    if (value[pos] == '"') {
      if (!read_quoted_string(value, pos, out)) return std::nullopt;
    } else {
      out += value[pos++];
    }
  }
  return out;
}

std::optional<std::string> percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    if (i + 2 >= text.size() || !is_hex(text[i + 1]) || !is_hex(text[i + 2])) return std::nullopt;
    out += static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2]));
    i += 2;
  }
  return out;
}

}  // namespace weft::routing
