#include "store/json_rows.hpp"

namespace weft::store {

void JsonRows::row() {
  if (open_) text_ += "},";
  text_ += '{';
  open_ = true;
  first_field_ = true;
}

void JsonRows::key(std::string_view name) {
  if (!first_field_) text_ += ',';
  first_field_ = false;
  text_ += boost::json::serialize(boost::json::string_view(name.data(), name.size()));
  text_ += ':';
}

void JsonRows::field(std::string_view name, std::string_view value) {
  key(name);
  text_ += boost::json::serialize(boost::json::string_view(value.data(), value.size()));
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

void JsonRows::field(std::string_view name, const Json& value) {
  key(name);
  text_ += boost::json::serialize(value);
}

std::string JsonRows::finish() {
  if (open_) text_ += '}';
  text_ += ']';
  open_ = false;
  return std::move(text_);
}

}  // namespace weft::store
