#include "routing/filter.hpp"

#include <compare>
#include <cstdint>

namespace weft::routing {
namespace {

using definitions::WhereOp;

bool is_number(const Json& value) { return value.is_int64() || value.is_uint64() || value.is_double(); }

/// Numbers of any JSON representation; integers exactly, anything with a double as doubles.
std::partial_ordering compare_numbers(const Json& a, const Json& b) {
  if (a.is_double() || b.is_double()) {
    const double x = a.is_double() ? a.get_double() : a.is_int64() ? static_cast<double>(a.get_int64())
                                                                   : static_cast<double>(a.get_uint64());
    const double y = b.is_double() ? b.get_double() : b.is_int64() ? static_cast<double>(b.get_int64())
                                                                   : static_cast<double>(b.get_uint64());
    return x <=> y;
  }
  if (a.is_int64() && b.is_int64()) return a.get_int64() <=> b.get_int64();
  if (a.is_uint64() && b.is_uint64()) return a.get_uint64() <=> b.get_uint64();
  // One signed, one unsigned: a negative signed value is smaller than any unsigned one.
  if (a.is_int64()) {
    if (a.get_int64() < 0) return std::partial_ordering::less;
    return static_cast<std::uint64_t>(a.get_int64()) <=> b.get_uint64();
  }
  if (b.get_int64() < 0) return std::partial_ordering::greater;
  return a.get_uint64() <=> static_cast<std::uint64_t>(b.get_int64());
}

/// nullopt when the pair is not ordered (not two numbers, not two strings).
std::optional<std::partial_ordering> compare_ordered(const Json& a, const Json& b) {
  if (is_number(a) && is_number(b)) return compare_numbers(a, b);
  const auto* x = a.if_string();
  const auto* y = b.if_string();
  if (x != nullptr && y != nullptr) {
    const int c = std::string_view(*x).compare(std::string_view(*y));
    return c < 0 ? std::partial_ordering::less
                 : c > 0 ? std::partial_ordering::greater : std::partial_ordering::equivalent;
  }
  return std::nullopt;
}

const char* op_name(WhereOp op) {
  switch (op) {
    case WhereOp::Eq: return "eq";
    case WhereOp::Ne: return "ne";
    case WhereOp::Gt: return "gt";
    case WhereOp::Gte: return "gte";
    case WhereOp::Lt: return "lt";
    case WhereOp::Lte: return "lte";
    case WhereOp::In: return "in";
    case WhereOp::Exists: return "exists";
    case WhereOp::Prefix: return "prefix";
    case WhereOp::Matches: return "matches";
  }
  return "?";
}

}  // namespace

bool is_glob(std::string_view pattern) { return pattern.find_first_of("*?") != std::string_view::npos; }

bool glob_match(std::string_view pattern, std::string_view text) {
  // Greedy scan that backtracks only to the last `*`: O(pattern * text) at worst.
  std::size_t p = 0;
  std::size_t t = 0;
  std::size_t star = std::string_view::npos;
  std::size_t star_text = 0;
  while (t < text.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == text[t])) {
      ++p;
      ++t;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      star_text = t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++star_text;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

bool json_equal(const Json& a, const Json& b) {
  if (is_number(a) && is_number(b)) return compare_numbers(a, b) == 0;
  if (a.kind() != b.kind()) return false;
  if (const auto* x = a.if_array()) {
    const auto& y = b.get_array();
    if (x->size() != y.size()) return false;
    for (std::size_t i = 0; i < x->size(); ++i) {
      if (!json_equal((*x)[i], y[i])) return false;
    }
    return true;
  }
  if (const auto* x = a.if_object()) {
    const auto& y = b.get_object();
    if (x->size() != y.size()) return false;
    for (const auto& entry : *x) {
      const auto it = y.find(entry.key());
      if (it == y.end() || !json_equal(entry.value(), it->value())) return false;
    }
    return true;
  }
  return a == b;
}

CompiledStringMatcher::CompiledStringMatcher(const definitions::StringMatcher& matcher) {
  for (const auto& pattern : matcher.patterns) {
    (is_glob(pattern) ? globs_ : exact_).push_back(pattern);
  }
}

bool CompiledStringMatcher::matches(std::string_view text) const {
  if (any()) return true;
  for (const auto& name : exact_) {
    if (name == text) return true;
  }
  for (const auto& glob : globs_) {
    if (glob_match(glob, text)) return true;
  }
  return false;
}

CompiledCondition::CompiledCondition(const definitions::WhereCondition& condition, std::string* problem)
    : op_(condition.op), operand_(condition.operand) {
  if (op_ == WhereOp::Prefix && !operand_.is_string()) {
    if (problem) *problem = "`prefix` needs a string operand; this condition never holds";
  }
  if (op_ != WhereOp::Matches) return;
  const auto* pattern = operand_.if_string();
  if (pattern == nullptr) {
    if (problem) *problem = "`matches` needs a string (a regular expression); this condition never holds";
    return;
  }
  try {
    regex_.emplace(pattern->data(), pattern->size(), std::regex::ECMAScript | std::regex::optimize);
  } catch (const std::exception& error) {
    if (problem) {
      *problem = "`matches` pattern \"" + std::string(*pattern) +
                 "\" is not a valid regular expression (" + error.what() + "); this condition never holds";
    }
  }
}

bool CompiledCondition::holds(const Json* value) const {
  if (op_ == WhereOp::Exists) {
    const bool want_present = !(operand_.is_bool() && !operand_.get_bool());
    return (value != nullptr) == want_present;
  }
  if (value == nullptr) return false;
  switch (op_) {
    case WhereOp::Eq: return json_equal(*value, operand_);
    case WhereOp::Ne: return !json_equal(*value, operand_);
    case WhereOp::Gt:
    case WhereOp::Gte:
    case WhereOp::Lt:
    case WhereOp::Lte: {
      const auto order = compare_ordered(*value, operand_);
      if (!order) return false;
      if (op_ == WhereOp::Gt) return *order > 0;
      if (op_ == WhereOp::Gte) return *order >= 0;
      if (op_ == WhereOp::Lt) return *order < 0;
      return *order <= 0;
    }
    case WhereOp::In: {
      if (const auto* options = operand_.if_array()) {
        for (const auto& option : *options) {
          if (json_equal(*value, option)) return true;
        }
        return false;
      }
      return json_equal(*value, operand_);
    }
    case WhereOp::Prefix: {
      const auto* text = value->if_string();
      const auto* prefix = operand_.if_string();
      return text != nullptr && prefix != nullptr && std::string_view(*text).starts_with(*prefix);
    }
    case WhereOp::Matches: {
      const auto* text = value->if_string();
      if (!regex_ || text == nullptr || text->size() > kMaxRegexSubjectLength) return false;
      try {
        return std::regex_search(text->begin(), text->end(), *regex_);
      } catch (const std::exception&) {
        return false;  // error_complexity / error_stack: treat a runaway match as no match
      }
    }
    case WhereOp::Exists: break;  // handled above
  }
  return false;
}

CompiledTrigger::CompiledTrigger(const definitions::Trigger& trigger)
    : trigger_(&trigger), type_(trigger.type), source_(trigger.source) {
  where_.reserve(trigger.where.size());
  for (const auto& clause : trigger.where) {
    Clause compiled{clause.path, {}};
    compiled.conditions.reserve(clause.conditions.size());
    for (const auto& condition : clause.conditions) {
      std::string problem;
      compiled.conditions.emplace_back(condition, &problem);
      if (!problem.empty()) {
        problems_.push_back(Diagnostic{
            clause.location, "where \"" + clause.path + "\" " + op_name(condition.op) + ": " + problem});
      }
    }
    where_.push_back(std::move(compiled));
  }
  if (trigger.condition) {
    // The loader fills `chunk`; hand-built definitions may only have `code`.
    condition_chunk_ = trigger.condition->chunk.empty() ? "return (" + trigger.condition->code + "\n)"
                                                        : trigger.condition->chunk;
  }
}

bool CompiledTrigger::matches(const Event& event) const {
  if (!type_.matches(event.type) || !source_.matches(event.source)) return false;
  for (const auto& clause : where_) {
    const Json* value = find_path(event.document, clause.path);
    for (const auto& condition : clause.conditions) {
      if (!condition.holds(value)) return false;
    }
  }
  return true;
}

}  // namespace weft::routing
