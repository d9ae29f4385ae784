#include "definitions/yaml_reader.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <regex>

namespace weft::definitions {
namespace {

bool is_one_of(std::string_view text, std::initializer_list<std::string_view> options) {
  return std::find(options.begin(), options.end(), text) != options.end();
}

std::string quoted(std::string_view text) { return "`" + printable(text) + "`"; }

std::string join(std::initializer_list<std::string_view> names) {
  std::string text;
  for (const auto name : names) {
    if (!text.empty()) text += ", ";
    text += name;
  }
  return text;
}

// Plain integers as YAML 1.2 core writes them; values too big for int64 fall
// back to uint64 and then to double rather than failing.
std::optional<Json> parse_integer(std::string_view text) {
  bool negative = false;
  if (!text.empty() && (text.front() == '+' || text.front() == '-')) {
    negative = text.front() == '-';
    text.remove_prefix(1);
  }
  int base = 10;
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'o')) {
    if (negative) return std::nullopt;  // the core schema has no signed hex/octal
    base = text[1] == 'x' ? 16 : 8;
    text.remove_prefix(2);
  }
  if (text.empty()) return std::nullopt;
  const char* end = text.data() + text.size();
  std::uint64_t magnitude = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), end, magnitude, base);
  if (ptr != end) return std::nullopt;
  if (ec == std::errc::result_out_of_range) {
    double value = 0;
    std::from_chars(text.data(), end, value);
    return Json(negative ? -value : value);
  }
  if (ec != std::errc{}) return std::nullopt;
  constexpr auto kMax = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  if (!negative) {
    if (magnitude <= kMax) return Json(static_cast<std::int64_t>(magnitude));
    return Json(magnitude);
  }
  if (magnitude <= kMax) return Json(-static_cast<std::int64_t>(magnitude));
  if (magnitude == kMax + 1) return Json(std::numeric_limits<std::int64_t>::min());
  return Json(-static_cast<double>(magnitude));
}

std::optional<Json> parse_float(std::string_view text) {
  static const std::regex kFloat(R"([-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?)");
  if (is_one_of(text, {".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"})) {
    return Json(std::numeric_limits<double>::infinity());
  }
  if (is_one_of(text, {"-.inf", "-.Inf", "-.INF"})) return Json(-std::numeric_limits<double>::infinity());
  if (is_one_of(text, {".nan", ".NaN", ".NAN"})) return Json(std::numeric_limits<double>::quiet_NaN());
  if (!std::regex_match(text.begin(), text.end(), kFloat)) return std::nullopt;
  const bool negative = text.front() == '-';
  if (text.front() == '+' || text.front() == '-') text.remove_prefix(1);
  double value = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ptr != text.data() + text.size()) return std::nullopt;
  if (ec == std::errc::result_out_of_range) value = std::numeric_limits<double>::infinity();
  return Json(negative ? -value : value);
}

Json plain_scalar(const std::string& text) {
  if (is_one_of(text, {"", "~", "null", "Null", "NULL"})) return Json(nullptr);
  if (is_one_of(text, {"true", "True", "TRUE"})) return Json(true);
  if (is_one_of(text, {"false", "False", "FALSE"})) return Json(false);
  if (auto integer = parse_integer(text)) return *integer;
  if (auto number = parse_float(text)) return *number;
  return Json(text);
}

Json json_at_depth(const YAML::Node& node, int depth) {
  // An alias can make a node contain itself; deeper than this is cut to null.
  constexpr int kMaxDepth = 64;
  if (depth > kMaxDepth) return Json(nullptr);
  switch (node.Type()) {
    case YAML::NodeType::Scalar:
      return is_string_scalar(node) ? Json(node.Scalar()) : plain_scalar(node.Scalar());
    case YAML::NodeType::Sequence: {
      JsonArray array;
      for (const auto& item : node) array.push_back(json_at_depth(item, depth + 1));
      return array;
    }
    case YAML::NodeType::Map: {
      JsonObject object;
      for (auto it = node.begin(); it != node.end(); ++it) {
        object[it->first.IsScalar() ? it->first.Scalar() : std::string()] = json_at_depth(it->second, depth + 1);
      }
      return object;
    }
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      break;
  }
  return Json(nullptr);
}

}  // namespace

const Field* Fields::find(std::string_view name) const {
  for (const auto& field : fields_) {
    if (field.name == name) return &field;
  }
  return nullptr;
}

YamlReader::YamlReader(std::string file, std::string_view text, Diagnostics& out)
    : file_(std::move(file)), text_(text), out_(out), first_error_(out.size()) {
  line_starts_.push_back(0);
  for (std::size_t i = 0; i < text_.size(); ++i) {
    if (text_[i] == '\n') line_starts_.push_back(i + 1);
  }
}

SourceLocation YamlReader::location(const YAML::Node& node) const {
  SourceLocation where{file_, 0, 0};
  if (!node.IsDefined()) return where;
  const auto mark = node.Mark();
  if (mark.is_null() || mark.line < 0) return where;
  where.line = mark.line + 1;
  where.column = mark.column + 1;
  return where;
}

SourceLocation YamlReader::location(const Field& field) const {
  if (!field.value.IsDefined() || field.value.IsNull()) return location(field.key);
  return location(field.value);
}

SourceLocation YamlReader::location_at(std::size_t offset) const {
  const auto next = std::upper_bound(line_starts_.begin(), line_starts_.end(), offset);
  const auto line = static_cast<std::size_t>(next - line_starts_.begin());  // 1-based
  return SourceLocation{file_, static_cast<int>(line),
                        static_cast<int>(offset - line_starts_[line - 1]) + 1};
}

std::optional<SourceLocation> YamlReader::find_after(const YAML::Node& node, std::string_view needle,
                                                     std::size_t occurrence) const {
  if (!node.IsDefined() || needle.empty()) return std::nullopt;
  const auto mark = node.Mark();
  if (mark.is_null() || mark.line < 0 || static_cast<std::size_t>(mark.line) >= line_starts_.size()) {
    return std::nullopt;
  }
  // Start from line/column rather than `pos`: both count bytes of the UTF-8 text.
  std::size_t at = line_starts_[static_cast<std::size_t>(mark.line)] + static_cast<std::size_t>(mark.column);
  if (at > text_.size()) return std::nullopt;
  for (std::size_t i = 0;; ++i) {
    at = text_.find(needle, at);
    if (at == std::string_view::npos) return std::nullopt;
    if (i == occurrence) return location_at(at);
    at += needle.size();
  }
}

void YamlReader::error(const SourceLocation& where, std::string message) {
  // Diagnostics are one line each (`file:line:column: message`), whatever
  // text from the file they quote.
  std::string line;
  line.reserve(message.size());
  for (const char c : message) {
    if (c == '\n') {
      line += "\\n";
    } else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      line += '?';
    } else {
      line += c;
    }
  }
  out_.push_back(Diagnostic{where, std::move(line)});
}

std::optional<Fields> YamlReader::mapping(const YAML::Node& node, std::string_view what,
                                          std::initializer_list<std::string_view> allowed) {
  return read_mapping(node, what, &allowed);
}

std::optional<Fields> YamlReader::mapping(const YAML::Node& node, std::string_view what) {
  return read_mapping(node, what, nullptr);
}

std::optional<Fields> YamlReader::read_mapping(const YAML::Node& node, std::string_view what,
                                               const std::initializer_list<std::string_view>* allowed) {
  if (!node.IsMap()) {
    error(node, std::string(what) + " must be a mapping, not " + describe(node));
    return std::nullopt;
  }
  Fields fields;
  for (auto it = node.begin(); it != node.end(); ++it) {
    const YAML::Node key = it->first;
    if (!key.IsScalar()) {
      error(key, "keys in " + std::string(what) + " must be text, not " + describe(key));
      continue;
    }
    const std::string name = key.Scalar();
    if (fields.has(name)) {
      error(key, "duplicate key " + quoted(name) + " in " + std::string(what));
      continue;
    }
    if (allowed != nullptr && !is_one_of(name, *allowed)) {
      error(key, "unknown key " + quoted(name) + " in " + std::string(what) + " (expected one of: " +
                     join(*allowed) + ")");
      continue;
    }
    fields.add(Field{name, key, it->second});
  }
  return fields;
}

std::optional<std::string> YamlReader::string(const Field& field) {
  if (!field.value.IsScalar()) {
    error(field, quoted(field.name) + " must be text, not " + describe(field.value));
    return std::nullopt;
  }
  return field.value.Scalar();
}

std::optional<std::string> YamlReader::non_empty_string(const Field& field) {
  auto text = string(field);
  if (text && text->empty()) {
    error(field, quoted(field.name) + " must not be empty");
    return std::nullopt;
  }
  return text;
}

std::optional<long long> YamlReader::integer(const Field& field, long long min) {
  const Json value = field.value.IsScalar() ? to_json(field.value) : Json(nullptr);
  if (!value.is_int64()) {
    error(field, quoted(field.name) + " must be an integer, not " + describe(field.value));
    return std::nullopt;
  }
  if (value.as_int64() < min) {
    error(field, quoted(field.name) + " must be at least " + std::to_string(min));
    return std::nullopt;
  }
  return value.as_int64();
}

std::optional<double> YamlReader::number(const Field& field, double min) {
  const Json value = field.value.IsScalar() ? to_json(field.value) : Json(nullptr);
  if (!value.is_number()) {
    error(field, quoted(field.name) + " must be a number, not " + describe(field.value));
    return std::nullopt;
  }
  const double number = value.to_number<double>();
  if (!std::isfinite(number) || number < min) {
    std::string bound = std::to_string(min);
    bound.erase(bound.find_last_not_of('0') + 1);
    if (!bound.empty() && bound.back() == '.') bound.pop_back();
    error(field, quoted(field.name) + " must be a number of at least " + bound);
    return std::nullopt;
  }
  return number;
}

std::optional<bool> YamlReader::boolean(const Field& field) {
  const Json value = field.value.IsScalar() ? to_json(field.value) : Json(nullptr);
  if (!value.is_bool()) {
    error(field, quoted(field.name) + " must be true or false, not " + describe(field.value));
    return std::nullopt;
  }
  return value.as_bool();
}

std::optional<Millis> YamlReader::duration(const Field& field) {
  const auto text = string(field);
  if (!text) return std::nullopt;
  const auto value = parse_duration(*text);
  if (!value) {
    error(field, quoted(field.name) + ": bad duration " + quoted(*text) +
                     " (expected a number and a unit: 250ms, 5s, 10m, 2h, 1d)");
  }
  return value;
}

std::optional<double> YamlReader::rate(const Field& field) {
  const auto text = string(field);
  if (!text) return std::nullopt;
  const auto value = parse_rate(*text);
  if (!value) error(field, quoted(field.name) + ": bad rate " + quoted(*text) + " (expected 50% or 0.5)");
  return value;
}

std::optional<std::vector<std::string>> YamlReader::string_list(const Field& field) {
  if (field.value.IsScalar()) return std::vector<std::string>{field.value.Scalar()};
  if (!field.value.IsSequence()) {
    error(field, quoted(field.name) + " must be text or a list of text, not " + describe(field.value));
    return std::nullopt;
  }
  std::vector<std::string> items;
  bool ok = true;
  for (const auto& item : field.value) {
    if (!item.IsScalar()) {
      error(item, "items of " + quoted(field.name) + " must be text, not " + describe(item));
      ok = false;
      continue;
    }
    items.push_back(item.Scalar());
  }
  if (!ok) return std::nullopt;
  return items;
}

bool is_string_scalar(const YAML::Node& node) {
  // yaml-cpp tags quoted and block scalars "!" and plain ones "?".
  const std::string& tag = node.Tag();
  return tag == "!" || tag == "tag:yaml.org,2002:str";
}

Json to_json(const YAML::Node& node) { return json_at_depth(node, 0); }

std::string printable(std::string_view text) {
  constexpr std::size_t kMax = 60;
  std::string shown;
  for (const char c : text.substr(0, kMax)) {
    if (c == '\n') {
      shown += "\\n";
    } else if (c == '\t') {
      shown += "\\t";
    } else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      shown += '?';
    } else {
      shown += c;
    }
  }
  if (text.size() > kMax) shown += "...";
  return shown;
}

std::string describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null:
      return "nothing";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Scalar:
      break;
  }
  const Json value = to_json(node);
  if (value.is_string()) return "text " + quoted(node.Scalar());
  if (value.is_bool()) return "a boolean";
  if (value.is_null()) return "null";
  return "the number " + node.Scalar();
}

}  // namespace weft::definitions
