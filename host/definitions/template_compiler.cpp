#include "definitions/template_compiler.hpp"

#include "definitions/interpolation.hpp"
#include "lua/syntax.hpp"

#include <atomic>
#include <cctype>
#include <charconv>
#include <cmath>

namespace weft::definitions {
namespace {

std::uint64_t next_template_id() {
  static std::atomic<std::uint64_t> counter{0};
  return ++counter;
}

std::string shorten(std::string_view code) {
  constexpr std::size_t kMax = 60;
  if (code.size() <= kMax) return std::string(code);
  return std::string(code.substr(0, kMax)) + "...";
}

// check_expression accepts `1), (2` (it reads `return (1), (2)`), which would
// splice a second value into the generated constructor; inside double
// parentheses only one expression fits.
std::optional<std::string> expression_error(const std::string& code) {
  if (const auto error = lua::check_expression(code)) return error->message;
  if (lua::check_syntax("return ((" + code + "\n))", "expression")) return "must be a single expression";
  return std::nullopt;
}

std::string lua_number(const Json& value) {
  if (value.is_int64()) return std::to_string(value.as_int64());
  if (value.is_uint64()) return std::to_string(value.as_uint64());
  const double number = value.as_double();
  if (std::isnan(number)) return "(0/0)";
  if (std::isinf(number)) return number > 0 ? "(1/0)" : "(-1/0)";
  char buffer[64];
  const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, number);
  return ec == std::errc{} ? std::string(buffer, end) : std::to_string(number);
}

bool is_identifier(std::string_view text) {
  if (text.empty() || std::isdigit(static_cast<unsigned char>(text[0]))) return false;
  for (const char c : text) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return true;
}

std::string_view trimmed(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  return text;
}

/// `steps.reserve.output.left` as a hole reading that path, if the expression
/// is nothing but a path from one of the scope's names. The expression already
/// compiled, so no part is a Lua keyword.
std::optional<PathHole> path_hole(std::string_view code) {
  PathHole hole;
  bool first = true;
  while (true) {
    const auto dot = code.find('.');
    const auto part = trimmed(code.substr(0, dot));
    if (!is_identifier(part)) return std::nullopt;
    if (first) {
      if (part != "event" && part != "input" && part != "steps" && part != "execution") return std::nullopt;
      hole.root = part;
      first = false;
    } else {
      if (!hole.path.empty()) hole.path += '.';
      hole.path += part;
    }
    if (dot == std::string_view::npos) return hole;
    code.remove_prefix(dot + 1);
  }
}

// Builds the Lua constructor and the JSON value side by side, so a template
// that turns out constant needs no second walk.
class TemplateBuilder {
 public:
  explicit TemplateBuilder(YamlReader& reader) : reader_(reader) {}

  bool build(const YAML::Node& node, std::string& lua, Json& json) {
    // yaml-cpp resolves `&a [*a]` into a node that contains itself, and aliases
    // can multiply a small file into a huge value: bound both.
    if (depth_ >= kMaxDepth || ++nodes_ > kMaxNodes) {
      if (!too_big_) reader_.error(node, "value nests too deeply or is too large (an alias that refers to itself?)");
      too_big_ = true;
      return false;
    }
    ++depth_;
    const bool ok = build_node(node, lua, json);
    --depth_;
    return ok;
  }

  bool dynamic() const { return !expressions_.empty(); }
  std::vector<Expression>& expressions() { return expressions_; }
  /// Whether every `${ }` is a whole value and a plain path (see PathTemplate).
  bool only_paths() const { return only_paths_; }
  std::vector<PathHole>& holes() { return holes_; }

 private:
  static constexpr int kMaxDepth = 64;
  static constexpr int kMaxNodes = 100000;

  bool build_node(const YAML::Node& node, std::string& lua, Json& json) {
    switch (node.Type()) {
      case YAML::NodeType::Undefined:
      case YAML::NodeType::Null:
        lua += "weft.null";
        json = nullptr;
        return true;
      case YAML::NodeType::Scalar:
        return scalar(node, lua, json);
      case YAML::NodeType::Sequence:
        return sequence(node, lua, json);
      case YAML::NodeType::Map:
        return mapping(node, lua, json);
    }
    return true;
  }

  bool scalar(const YAML::Node& node, std::string& lua, Json& json) {
    json = to_json(node);
    if (!json.is_string()) {
      if (json.is_null()) {
        lua += "weft.null";
      } else if (json.is_bool()) {
        lua += json.as_bool() ? "true" : "false";
      } else {
        lua += lua_number(json);
      }
      return true;
    }
    const std::string& text = node.Scalar();
    if (!has_interpolation(text)) {
      lua += lua_string_literal(text);
      return true;
    }
    const Interpolation parts = split_interpolations(text);
    if (parts.error) {
      reader_.error(place(node, parts.error_ordinal), *parts.error);
      return false;
    }
    bool ok = true;
    for (const auto& segment : parts.segments) {
      if (segment.is_expression) ok = check(node, segment) && ok;
    }
    if (!ok) return false;
    if (const Segment* sole = parts.sole_expression()) {
      lua += "(" + sole->text + "\n)";
      if (auto hole = path_hole(sole->text)) {
        hole->at = at_;
        holes_.push_back(std::move(*hole));
        json = nullptr;
      } else {
        only_paths_ = false;
      }
      return true;
    }
    only_paths_ = false;
    lua += "(";
    bool first = true;
    for (const auto& segment : parts.segments) {
      if (!first) lua += " .. ";
      first = false;
      lua += segment.is_expression ? "weft._text(" + segment.text + "\n)" : lua_string_literal(segment.text);
    }
    lua += ")";
    return true;
  }

  bool sequence(const YAML::Node& node, std::string& lua, Json& json) {
    JsonArray array;
    lua += "weft.array({";
    bool ok = true;
    bool first = true;
    for (const auto& item : node) {
      if (!first) lua += ", ";
      first = false;
      Json value;
      at_.emplace_back(array.size());
      ok = build(item, lua, value) && ok;
      at_.pop_back();
      array.push_back(std::move(value));
    }
    lua += "})";
    json = std::move(array);
    return ok;
  }

  bool mapping(const YAML::Node& node, std::string& lua, Json& json) {
    JsonObject object;
    lua += "{";
    bool ok = true;
    bool first = true;
    for (auto it = node.begin(); it != node.end(); ++it) {
      const YAML::Node key = it->first;
      if (!key.IsScalar()) {
        reader_.error(key, "keys must be text, not " + describe(key));
        ok = false;
        continue;
      }
      const std::string& name = key.Scalar();
      if (object.contains(name)) {
        reader_.error(key, "duplicate key `" + name + "`");
        ok = false;
        continue;
      }
      if (!first) lua += ", ";
      first = false;
      lua += "[" + lua_string_literal(name) + "]=";
      Json value;
      at_.emplace_back(name);
      ok = build(it->second, lua, value) && ok;
      at_.pop_back();
      object[name] = std::move(value);
    }
    lua += "}";
    json = std::move(object);
    return ok;
  }

  SourceLocation place(const YAML::Node& node, std::size_t ordinal) const {
    if (auto inside = reader_.find_after(node, "${", ordinal)) return *inside;
    return reader_.location(node);
  }

  bool check(const YAML::Node& node, const Segment& segment) {
    const SourceLocation where = place(node, segment.ordinal);
    if (const auto error = expression_error(segment.text)) {
      reader_.error(where, "`${ " + shorten(segment.text) + " }` is not a valid Lua expression: " + *error);
      return false;
    }
    expressions_.push_back(make_expression(segment.text, where));
    return true;
  }

  YamlReader& reader_;
  std::vector<Expression> expressions_;
  std::vector<PathHole> holes_;
  std::vector<std::variant<std::string, std::size_t>> at_;  // where build() is in the value
  bool only_paths_ = true;
  int depth_ = 0;
  int nodes_ = 0;
  bool too_big_ = false;
};

}  // namespace

Expression make_expression(std::string code, SourceLocation location) {
  Expression expression;
  expression.chunk = "return (" + code + "\n)";
  expression.code = std::move(code);
  expression.location = std::move(location);
  return expression;
}

std::optional<ValueTemplate> compile_template(const Field& field, YamlReader& reader) {
  ValueTemplate result;
  result.location = reader.location(field);
  TemplateBuilder builder(reader);
  std::string lua = "return ";
  if (!builder.build(field.value, lua, result.constant)) return std::nullopt;
  result.id = next_template_id();
  if (!builder.dynamic()) {
    result.is_constant = true;
    return result;
  }
  result.is_constant = false;
  if (builder.only_paths()) {
    result.paths = PathTemplate{std::move(result.constant), std::move(builder.holes())};
  }
  result.constant = nullptr;
  // Each `${ }` compiled alone; the whole chunk can still fail when an expression
  // closes the parenthesis around it (`a) (b`), so it is checked too.
  if (const auto error = lua::check_syntax(lua, "template")) {
    reader.error(result.location, "`" + field.name + "` does not compile to Lua: " + error->message);
    return std::nullopt;
  }
  result.lua_chunk = std::move(lua);
  result.expressions = std::move(builder.expressions());
  return result;
}

ValueTemplate constant_template(Json value, SourceLocation location) {
  ValueTemplate result;
  result.id = next_template_id();
  result.constant = std::move(value);
  result.is_constant = true;
  result.location = std::move(location);
  return result;
}

std::optional<Expression> compile_condition(const Field& field, YamlReader& reader) {
  if (!field.value.IsScalar()) {
    reader.error(field, "`" + field.name + "` must be a Lua expression, not " + describe(field.value));
    return std::nullopt;
  }
  const std::string& text = field.value.Scalar();
  std::string code = text;
  SourceLocation where = reader.location(field);
  if (has_interpolation(text)) {
    const Interpolation parts = split_interpolations(text);
    if (parts.error) {
      reader.error(field, "`" + field.name + "`: " + *parts.error);
      return std::nullopt;
    }
    const Segment* sole = parts.sole_expression();
    if (sole == nullptr) {
      reader.error(field, "`" + field.name + "` must be one `${ expression }` or a bare Lua expression");
      return std::nullopt;
    }
    code = sole->text;
    if (auto inside = reader.find_after(field.value, "${", 0)) where = *inside;
  }
  const auto first = code.find_first_not_of(" \t\r\n");
  if (first != std::string::npos) code = code.substr(first, code.find_last_not_of(" \t\r\n") - first + 1);
  if (first == std::string::npos) {
    reader.error(field, "`" + field.name + "` must not be empty");
    return std::nullopt;
  }
  if (const auto error = expression_error(code)) {
    reader.error(where, "`" + field.name + "` is not a valid Lua expression: " + *error);
    return std::nullopt;
  }
  return make_expression(std::move(code), std::move(where));
}

std::string lua_string_literal(std::string_view text) {
  std::string literal = "\"";
  literal.reserve(text.size() + 2);
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      literal += '\\';
      literal += c;
    } else if (byte < 0x20 || byte >= 0x7f) {
      // Always three digits, so a following digit cannot extend the escape.
      char escape[5];
      escape[0] = '\\';
      escape[1] = static_cast<char>('0' + byte / 100);
      escape[2] = static_cast<char>('0' + byte / 10 % 10);
      escape[3] = static_cast<char>('0' + byte % 10);
      escape[4] = '\0';
      literal += escape;
    } else {
      literal += c;
    }
  }
  literal += '"';
  return literal;
}

}  // namespace weft::definitions
