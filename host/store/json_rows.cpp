#include "store/json_rows.hpp"

#include <type_traits>

namespace weft::store {
namespace {

/// Serializes straight onto the end of `text`: no string per value.
template <class Value>
void append_serialized(std::string& text, const Value& value) {
  boost::json::serializer serializer;
  if constexpr (std::is_same_v<Value, boost::json::string_view>) {
    serializer.reset(value);
  } else {
    serializer.reset(&value);
  }
  char buffer[512];
  while (!serializer.done()) {
    const auto piece = serializer.read(buffer, sizeof buffer);
    text.append(piece.data(), piece.size());
  }
}

}  // namespace

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
  append_serialized(text_, text);
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
  append_serialized(text_, value);
}

std::string JsonRows::finish() {
  if (open_) text_ += '}';
  text_ += ']';
  open_ = false;
  return std::move(text_);
}

}  // namespace weft::store
