#include "store/json_rows.hpp"

#include <type_traits>

namespace weft::store {

/// Serializes straight onto the end of the text: no string per value.
template <class Value>
void JsonRows::append_serialized(const Value& value) {
  if constexpr (std::is_same_v<Value, boost::json::string_view>) {
    serializer_.reset(value);
  } else {
    serializer_.reset(&value);
  }
  char buffer[512];
  while (!serializer_.done()) {
    const auto piece = serializer_.read(buffer, sizeof buffer);
    text_.append(piece.data(), piece.size());
  }
}

void JsonRows::row() {
  if (open_) text_ += "},";
  text_ += '{';
  open_ = true;
  first_field_ = true;
}

void JsonRows::key(std::string_view name) {
  if (!first_field_) text_ += ',';
  first_field_ = false;
  // Field names are identifiers written in the store's code: nothing to escape.
  text_ += '"';
  text_ += name;
  text_ += "\":";
}

void JsonRows::field(std::string_view name, std::string_view value) {
  key(name);
  const boost::json::string_view text(value.data(), value.size());
  append_serialized(text);
}

void JsonRows::field(std::string_view name, std::int64_t value) {
  key(name);
  text_ += std::to_string(value);
}

void JsonRows::field(std::string_view name, std::optional<std::int64_t> value) {
  if (value) {
    field(name, *value);
  } else {
    key(name);
    text_ += "null";
  }
}

void JsonRows::flag(std::string_view name, bool value) {
  key(name);
  text_ += value ? "true" : "false";
}

void JsonRows::field(std::string_view name, const Json& value) {
  key(name);
  append_serialized(value);
}

std::string JsonRows::finish() {
  if (open_) text_ += '}';
  text_ += ']';
  open_ = false;
  return std::move(text_);
}

}  // namespace weft::store
