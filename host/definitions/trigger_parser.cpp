#include "definitions/trigger_parser.hpp"

#include "definitions/template_compiler.hpp"

#include <regex>

namespace weft::definitions {
namespace {

struct OperatorName {
  std::string_view name;
  WhereOp op;
};

constexpr OperatorName kOperators[] = {
    {"eq", WhereOp::Eq},         {"ne", WhereOp::Ne},   {"gt", WhereOp::Gt},         {"gte", WhereOp::Gte},
    {"lt", WhereOp::Lt},         {"lte", WhereOp::Lte}, {"in", WhereOp::In},         {"exists", WhereOp::Exists},
    {"prefix", WhereOp::Prefix}, {"matches", WhereOp::Matches}};

std::optional<StringMatcher> parse_matcher(const Field& field, YamlReader& reader) {
  auto patterns = reader.string_list(field);
  if (!patterns) return std::nullopt;
  if (patterns->empty()) {
    reader.error(field, "`" + field.name + "` needs at least one value");
    return std::nullopt;
  }
  for (const auto& pattern : *patterns) {
    if (pattern.empty()) {
      reader.error(field, "`" + field.name + "` values must not be empty");
      return std::nullopt;
    }
  }
  return StringMatcher{std::move(*patterns)};
}

bool valid_path(std::string_view path) {
  if (path.empty()) return false;
  std::size_t start = 0;
  while (true) {
    const auto dot = path.find('.', start);
    const auto segment = path.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (segment.empty()) return false;
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

std::optional<Json> scalar_operand(const Field& field, YamlReader& reader) {
  if (field.value.IsNull()) return Json(nullptr);
  if (!field.value.IsScalar()) {
    reader.error(field, "`" + field.name + "` compares with a single value, not " + describe(field.value));
    return std::nullopt;
  }
  return to_json(field.value);
}

std::optional<Json> list_operand(const Field& field, YamlReader& reader) {
  if (!field.value.IsSequence()) {
    reader.error(field, "`" + field.name + "` needs a list of values, not " + describe(field.value));
    return std::nullopt;
  }
  JsonArray values;
  bool ok = true;
  for (const auto& item : field.value) {
    if (!item.IsScalar() && !item.IsNull()) {
      reader.error(item, "items of `" + field.name + "` must be single values, not " + describe(item));
      ok = false;
      continue;
    }
    values.push_back(to_json(item));
  }
  if (!ok) return std::nullopt;
  return Json(std::move(values));
}

std::optional<WhereCondition> parse_operator(const Field& field, YamlReader& reader) {
  WhereCondition condition;
  for (const auto& known : kOperators) {
    if (known.name == field.name) condition.op = known.op;
  }
  switch (condition.op) {
    case WhereOp::Eq:
    case WhereOp::Ne: {
      auto operand = scalar_operand(field, reader);
      if (!operand) return std::nullopt;
      condition.operand = std::move(*operand);
      break;
    }
    case WhereOp::Gt:
    case WhereOp::Gte:
    case WhereOp::Lt:
    case WhereOp::Lte: {
      auto operand = scalar_operand(field, reader);
      if (!operand) return std::nullopt;
      if (!operand->is_number() && !operand->is_string()) {
        reader.error(field, "`" + field.name + "` compares with a number or text, not " + describe(field.value));
        return std::nullopt;
      }
      condition.operand = std::move(*operand);
      break;
    }
    case WhereOp::In: {
      auto operand = list_operand(field, reader);
      if (!operand) return std::nullopt;
      condition.operand = std::move(*operand);
      break;
    }
    case WhereOp::Exists: {
      auto operand = reader.boolean(field);
      if (!operand) return std::nullopt;
      condition.operand = *operand;
      break;
    }
    case WhereOp::Prefix:
    case WhereOp::Matches: {
      auto operand = reader.string(field);
      if (!operand) return std::nullopt;
      if (condition.op == WhereOp::Matches) {
        try {
          std::regex compiled(*operand, std::regex::ECMAScript);
        } catch (const std::regex_error& error) {
          reader.error(field, "`matches`: bad regular expression `" + printable(*operand) + "`: " + error.what());
          return std::nullopt;
        }
      }
      condition.operand = Json(std::move(*operand));
      break;
    }
  }
  return condition;
}

std::optional<WhereClause> parse_where_clause(const Field& field, YamlReader& reader) {
  WhereClause clause;
  clause.path = field.name;
  clause.location = reader.location(field.key);
  if (!valid_path(clause.path)) {
    reader.error(field.key, "`where` path `" + printable(clause.path) + "` must be dotted names like `data.order.id`");
    return std::nullopt;
  }
  if (field.value.IsSequence()) {
    auto operand = list_operand(field, reader);
    if (!operand) return std::nullopt;
    clause.conditions.push_back(WhereCondition{WhereOp::In, std::move(*operand)});
    return clause;
  }
  if (!field.value.IsMap()) {
    auto operand = scalar_operand(field, reader);
    if (!operand) return std::nullopt;
    clause.conditions.push_back(WhereCondition{WhereOp::Eq, std::move(*operand)});
    return clause;
  }
  if (field.value.size() == 0) {
    reader.error(field, "`where` condition on `" + printable(clause.path) + "` needs at least one operator");
    return std::nullopt;
  }
  const auto operators = reader.mapping(field.value, "a `where` condition",
                                        {"eq", "ne", "gt", "gte", "lt", "lte", "in", "exists", "prefix", "matches"});
  bool ok = operators.has_value() && operators->all().size() == field.value.size();
  if (!operators) return std::nullopt;
  for (const auto& entry : operators->all()) {
    auto condition = parse_operator(entry, reader);
    if (condition) {
      clause.conditions.push_back(std::move(*condition));
    } else {
      ok = false;
    }
  }
  if (!ok) return std::nullopt;
  return clause;
}

std::optional<Trigger> parse_trigger(const YAML::Node& node, YamlReader& reader) {
  const auto fields = reader.mapping(node, "a trigger", {"type", "source", "where", "if"});
  if (!fields) return std::nullopt;
  const auto errors = reader.error_count();
  Trigger trigger;
  trigger.location = reader.location(node);
  if (const auto* type = fields->find("type")) {
    if (auto matcher = parse_matcher(*type, reader)) trigger.type = std::move(*matcher);
  } else {
    reader.error(node, "a trigger needs a `type` (the event type to start on)");
  }
  if (const auto* source = fields->find("source")) {
    if (auto matcher = parse_matcher(*source, reader)) trigger.source = std::move(*matcher);
  }
  if (const auto* where = fields->find("where")) {
    if (const auto clauses = reader.mapping(where->value, "`where`")) {
      for (const auto& entry : clauses->all()) {
        if (auto clause = parse_where_clause(entry, reader)) trigger.where.push_back(std::move(*clause));
      }
    }
  }
  if (const auto* condition = fields->find("if")) trigger.condition = compile_condition(*condition, reader);
  if (reader.error_count() != errors) return std::nullopt;
  return trigger;
}

}  // namespace

std::vector<Trigger> parse_triggers(const Field& field, YamlReader& reader) {
  std::vector<Trigger> triggers;
  if (field.value.IsNull()) return triggers;  // `on:` with nothing: started by API/CLI only
  if (field.value.IsMap()) {
    if (auto trigger = parse_trigger(field.value, reader)) triggers.push_back(std::move(*trigger));
    return triggers;
  }
  if (!field.value.IsSequence()) {
    reader.error(field, "`on` must be a list of triggers, not " + describe(field.value));
    return triggers;
  }
  for (const auto& node : field.value) {
    if (auto trigger = parse_trigger(node, reader)) triggers.push_back(std::move(*trigger));
  }
  return triggers;
}

}  // namespace weft::definitions
