// JSON text for the recordsets a checkpoint sends (jsonb_to_recordset), written
// straight into one string. Building a boost::json tree first would copy every
// step's input and output once more, on every checkpoint.
#pragma once

#include "common/json.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace weft::store {

/// `[{...},{...}]`: call row() before each object's fields, then finish().
class JsonRows {
 public:
  JsonRows() { text_ = "["; }
  void row();
  void field(std::string_view key, std::string_view value);
  void field(std::string_view key, std::int64_t value);
  void field(std::string_view key, std::optional<std::int64_t> value);
  void flag(std::string_view key, bool value);  // not an overload of field: a const char* would pick it
  /// The value's JSON text (null stays null).
  void field(std::string_view key, const Json& value);
  /// The finished array; the writer is spent afterwards.
  std::string finish();

 private:
  void key(std::string_view name);
  template <class Value>
  void append_serialized(const Value& value);
  std::string text_;
  boost::json::serializer serializer_;  // reused for every value
  bool first_field_ = true;
  bool open_ = false;
};

}  // namespace weft::store
