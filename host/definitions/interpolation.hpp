// Splits a string into literal text and `${ lua expression }` parts. The closing
// `}` is found with Lua's lexical rules (nested braces, strings, comments), so
// `${ {a = "}"} }` is one expression.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace weft::definitions {

struct Segment {
  bool is_expression = false;
  std::string text;         // literal text, or the expression's code with surrounding blanks trimmed
  std::size_t offset = 0;   // byte offset in the string (of `${` for an expression)
  std::size_t ordinal = 0;  // for expressions: how many `${` come before it in the string
};

struct Interpolation {
  std::vector<Segment> segments;  // in order; literal segments are never empty
  std::optional<std::string> error;
  std::size_t error_offset = 0;
  std::size_t error_ordinal = 0;  // how many `${` come before the offending one

  /// The expression when the whole string is exactly one `${ }` (blanks around allowed).
  const Segment* sole_expression() const;
};

bool has_interpolation(std::string_view text);

/// Splits `text`; on the first malformed `${` (unterminated or empty) sets `error`.
Interpolation split_interpolations(std::string_view text);

}  // namespace weft::definitions
