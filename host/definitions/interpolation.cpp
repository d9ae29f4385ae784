#include "definitions/interpolation.hpp"

namespace weft::definitions {
namespace {

constexpr std::string_view kOpen = "${";

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::string_view trim(std::string_view text) {
  while (!text.empty() && is_blank(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_blank(text.back())) text.remove_suffix(1);
  return text;
}

std::size_t count_opens_before(std::string_view text, std::size_t offset) {
  std::size_t count = 0;
  for (auto at = text.find(kOpen); at != std::string_view::npos && at < offset; at = text.find(kOpen, at + 1)) {
    ++count;
  }
  return count;
}

// Length of a Lua long bracket opener `[[`, `[=[`, ... at `at`; 0 if none.
std::size_t long_bracket_level(std::string_view text, std::size_t at, std::size_t* level) {
  if (at >= text.size() || text[at] != '[') return 0;
  std::size_t i = at + 1;
  while (i < text.size() && text[i] == '=') ++i;
  if (i >= text.size() || text[i] != '[') return 0;
  *level = i - at - 1;
  return i - at + 1;
}

// Skips past the long string/comment closing `]=*]` of `level`; npos when unterminated.
std::size_t skip_long_bracket(std::string_view text, std::size_t from, std::size_t level) {
  const std::string close = "]" + std::string(level, '=') + "]";
  const auto end = text.find(close, from);
  return end == std::string_view::npos ? end : end + close.size();
}

// Offset of the `}` closing the expression that starts at `from`; npos when none.
std::size_t find_close(std::string_view text, std::size_t from) {
  int depth = 0;
  std::size_t i = from;
  while (i < text.size()) {
    const char c = text[i];
    std::size_t level = 0;
    if (c == '"' || c == '\'') {
      ++i;
      while (i < text.size() && text[i] != c && text[i] != '\n') i += text[i] == '\\' ? 2 : 1;
      if (i >= text.size()) return std::string_view::npos;
      ++i;
    } else if (const auto opener = long_bracket_level(text, i, &level)) {
      i = skip_long_bracket(text, i + opener, level);
      if (i == std::string_view::npos) return i;
    } else if (text.substr(i, 2) == "--") {
      i += 2;
      if (const auto comment_opener = long_bracket_level(text, i, &level)) {
        i = skip_long_bracket(text, i + comment_opener, level);
        if (i == std::string_view::npos) return i;
      } else {
        while (i < text.size() && text[i] != '\n') ++i;
      }
    } else if (c == '{') {
      ++depth;
      ++i;
    } else if (c == '}') {
      if (depth == 0) return i;
      --depth;
      ++i;
    } else {
      ++i;
    }
  }
  return std::string_view::npos;
}

}  // namespace

const Segment* Interpolation::sole_expression() const {
  const Segment* expression = nullptr;
  for (const auto& segment : segments) {
    if (segment.is_expression) {
      if (expression != nullptr) return nullptr;
      expression = &segment;
    } else if (!trim(segment.text).empty()) {
      return nullptr;
    }
  }
  return expression;
}

bool has_interpolation(std::string_view text) { return text.find(kOpen) != std::string_view::npos; }

Interpolation split_interpolations(std::string_view text) {
  Interpolation result;
  std::size_t at = 0;
  while (at < text.size()) {
    const auto open = text.find(kOpen, at);
    if (open == std::string_view::npos) break;
    if (open > at) result.segments.push_back(Segment{false, std::string(text.substr(at, open - at)), at, 0});
    const auto close = find_close(text, open + kOpen.size());
    const auto ordinal = count_opens_before(text, open);
    if (close == std::string_view::npos) {
      result.error = "unterminated `${` (no matching `}`)";
      result.error_offset = open;
      result.error_ordinal = ordinal;
      return result;
    }
    const auto code = trim(text.substr(open + kOpen.size(), close - open - kOpen.size()));
    if (code.empty()) {
      result.error = "empty `${ }`: write a Lua expression inside";
      result.error_offset = open;
      result.error_ordinal = ordinal;
      return result;
    }
    result.segments.push_back(Segment{true, std::string(code), open, ordinal});
    at = close + 1;
  }
  if (at < text.size()) result.segments.push_back(Segment{false, std::string(text.substr(at)), at, 0});
  return result;
}

}  // namespace weft::definitions
