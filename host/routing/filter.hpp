// Deciding, without Lua, whether one trigger accepts an
// event: its `type` and `source` matchers and its `where` clauses. Everything
// costly (regexes, the split of exact names from globs) is prepared once per
// trigger, when a Router is built, never per event.
#pragma once

#include "common/diagnostic.hpp"
#include "definitions/definition.hpp"
#include "routing/event.hpp"

#include <cstddef>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

namespace weft::routing {

/// Values longer than this (bytes) never satisfy `matches`: std::regex recurses
/// per character, so an unbounded subject could exhaust a worker's stack.
inline constexpr std::size_t kMaxRegexSubjectLength = 4096;

/// Glob matching for `type`/`source` patterns: `*` is any run of characters (none
/// included, dots included), `?` exactly one byte; everything else is literal.
/// There are no character classes and no escapes.
bool glob_match(std::string_view pattern, std::string_view text);

/// True when a pattern contains `*` or `?` (and so is matched as a glob).
bool is_glob(std::string_view pattern);

/// Equality as `eq`, `ne`, `in` and scalar `where` values see it: numbers compare
/// numerically (2 == 2.0, whatever their JSON representation), strings, booleans
/// and null by value, arrays element-wise and objects key-wise with the same rule.
/// Values of different kinds are never equal ("2" != 2).
bool json_equal(const Json& a, const Json& b);

/// A StringMatcher split into exact names and globs. Empty matches anything.
class CompiledStringMatcher {
 public:
  explicit CompiledStringMatcher(const definitions::StringMatcher& matcher);

  /// True when `text` equals one exact name or matches one glob (or the matcher is empty).
  bool matches(std::string_view text) const;

  bool any() const { return exact_.empty() && globs_.empty(); }
  bool has_globs() const { return !globs_.empty(); }
  /// The patterns without wildcards; the Router indexes triggers by these.
  const std::vector<std::string>& exact() const { return exact_; }

 private:
  std::vector<std::string> exact_;
  std::vector<std::string> globs_;
};

/// One `where` condition ready to test against the value found at its path.
///
/// Semantics (`value` is what the path finds; a path is dotted keys through
/// nested objects — `data.order.id`, `source` — array elements cannot be named):
/// - a missing path satisfies only `exists: false`; every other operator is false;
/// - `eq`/`ne`: json_equal / its negation (a present null is a value: `ne: 1` holds);
/// - `gt gte lt lte`: two numbers numerically, two strings byte-wise
///   lexicographically (so ISO dates order correctly); any other pair is false;
/// - `in`: json_equal to any element of the operand array (a scalar operand acts as `eq`);
/// - `exists`: operand `false` holds when the path is missing; any other operand
///   when it is present (even with a null value);
/// - `prefix`: a string value starting with the string operand;
/// - `matches`: a string value (<= kMaxRegexSubjectLength bytes) in which the
///   ECMAScript regex operand finds a match (search, not full match: anchor with
///   `^...$`). A pattern that does not compile never holds and is reported once,
///   when the trigger is compiled.
class CompiledCondition {
 public:
  /// `problem` receives a message when the condition can never hold (bad regex, non-string operand).
  CompiledCondition(const definitions::WhereCondition& condition, std::string* problem);

  /// `value` is null when the path is missing.
  bool holds(const Json* value) const;

 private:
  definitions::WhereOp op_;
  Json operand_;
  std::optional<std::regex> regex_;  // Matches only; nullopt if it did not compile
};

/// One trigger prepared for matching. It refers to `trigger`, which must outlive
/// it (the Router keeps the definition alive).
class CompiledTrigger {
 public:
  explicit CompiledTrigger(const definitions::Trigger& trigger);

  /// Type, source and every `where` clause hold for `event`. The `if:` condition
  /// is not evaluated here: that needs Lua (see Router).
  bool matches(const Event& event) const;

  const definitions::Trigger& trigger() const { return *trigger_; }
  const CompiledStringMatcher& type() const { return type_; }
  bool has_condition() const { return !condition_chunk_.empty(); }
  /// The `if:` condition as a chunk for lua::Vm::evaluate: `return (<code>\n)`
  /// (the definition's `Expression::chunk`, or built from `code` when that is empty).
  const std::string& condition_chunk() const { return condition_chunk_; }
  /// Conditions found at compile time never to hold, each at its clause's
  /// location; such a trigger simply never matches.
  const Diagnostics& problems() const { return problems_; }

 private:
  struct Clause {
    std::string path;
    std::vector<CompiledCondition> conditions;
  };

  const definitions::Trigger* trigger_;
  CompiledStringMatcher type_;
  CompiledStringMatcher source_;
  std::vector<Clause> where_;
  std::string condition_chunk_;
  Diagnostics problems_;
};

}  // namespace weft::routing
