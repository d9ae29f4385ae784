// Reads yaml-cpp nodes into typed values while recording a Diagnostic (with the
// node's file:line:column) for anything wrong, so parsing can go on and report
// every problem at once. Also the YAML 1.2 core-schema typing of scalars.
#pragma once

#include "common/diagnostic.hpp"
#include "common/duration.hpp"
#include "common/json.hpp"

#include <yaml-cpp/yaml.h>

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace weft::definitions {

/// One `key: value` of a mapping. The key is kept because an empty value has no
/// useful position of its own: problems with it are reported at the key.
struct Field {
  std::string name;
  YAML::Node key;
  YAML::Node value;
};

/// The entries of a mapping in file order.
class Fields {
 public:
  void add(Field field) { fields_.push_back(std::move(field)); }
  const Field* find(std::string_view name) const;
  bool has(std::string_view name) const { return find(name) != nullptr; }
  const std::vector<Field>& all() const { return fields_; }

 private:
  std::vector<Field> fields_;
};

class YamlReader {
 public:
  /// `text` is the whole YAML document; it must outlive the reader.
  YamlReader(std::string file, std::string_view text, Diagnostics& out);

  const std::string& file() const { return file_; }

  /// 1-based position of `node`; the file alone when yaml-cpp has none.
  SourceLocation location(const YAML::Node& node) const;
  /// The value's position, or the key's when the value is empty.
  SourceLocation location(const Field& field) const;
  /// The position of byte `offset` of the document (for places inside a scalar).
  SourceLocation location_at(std::size_t offset) const;
  /// Where the `occurrence`-th (0-based) `needle` at or after `node` starts in the
  /// text: used to point inside a scalar. nullopt when it cannot be found.
  std::optional<SourceLocation> find_after(const YAML::Node& node, std::string_view needle,
                                           std::size_t occurrence) const;

  void error(const SourceLocation& where, std::string message);
  void error(const YAML::Node& node, std::string message) { error(location(node), std::move(message)); }
  void error(const Field& field, std::string message) { error(location(field), std::move(message)); }

  std::size_t error_count() const { return out_.size() - first_error_; }

  /// The entries of a mapping. Reports (and drops) non-scalar keys, duplicate keys
  /// and keys not in `allowed`; nullopt (reported) when `node` is not a mapping.
  std::optional<Fields> mapping(const YAML::Node& node, std::string_view what,
                                std::initializer_list<std::string_view> allowed);
  /// Same, for a mapping whose keys are free-form (no unknown-key check).
  std::optional<Fields> mapping(const YAML::Node& node, std::string_view what);

  // Typed values; each reports what is wrong and returns nullopt.
  std::optional<std::string> string(const Field& field);
  std::optional<std::string> non_empty_string(const Field& field);
  std::optional<long long> integer(const Field& field, long long min);
  std::optional<double> number(const Field& field, double min);
  std::optional<bool> boolean(const Field& field);
  std::optional<Millis> duration(const Field& field);
  std::optional<double> rate(const Field& field);
  /// One string or a list of strings.
  std::optional<std::vector<std::string>> string_list(const Field& field);

 private:
  std::optional<Fields> read_mapping(const YAML::Node& node, std::string_view what,
                                     const std::initializer_list<std::string_view>* allowed);

  std::string file_;
  std::string_view text_;
  std::vector<std::size_t> line_starts_;
  Diagnostics& out_;
  std::size_t first_error_;
};

/// True for a quoted, block (`|`, `>`) or `!!str`-tagged scalar: always a string.
bool is_string_scalar(const YAML::Node& node);

/// YAML 1.2 core schema: quoted scalars are strings; plain ones are null, bool,
/// integer, float or string. Sequences become arrays and mappings objects.
/// Nesting beyond 64 levels (a self-referencing alias) becomes null.
Json to_json(const YAML::Node& node);

/// `text` fit for a one-line message: control bytes escaped, long text cut.
std::string printable(std::string_view text);

/// A human name for the node's kind (`a list`, `a mapping`, `text`...) for messages.
std::string describe(const YAML::Node& node);

}  // namespace weft::definitions
