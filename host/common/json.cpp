#include "common/json.hpp"

namespace weft {

std::optional<Json> parse_json(std::string_view text, std::string* error) {
  boost::system::error_code ec;
  Json value = boost::json::parse(text, ec);
  if (ec) {
    if (error) *error = "invalid JSON: " + ec.message();
    return std::nullopt;
  }
  return value;
}

std::string to_json_text(const Json& value) { return boost::json::serialize(value); }

const Json* find_path(const Json& root, std::string_view dotted_path) {
  const Json* current = &root;
  while (!dotted_path.empty()) {
    const auto dot = dotted_path.find('.');
    const auto segment = dotted_path.substr(0, dot);
    const auto* object = current->if_object();
    if (object == nullptr) return nullptr;
    const auto it = object->find(segment);
    if (it == object->end()) return nullptr;
    current = &it->value();
    dotted_path = dot == std::string_view::npos ? std::string_view{} : dotted_path.substr(dot + 1);
  }
  return current;
}

void append_json_string(std::string& out, std::string_view text) {
  out.push_back('"');
  for (const char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          static constexpr char kHex[] = "0123456789abcdef";
          out += "\\u00";
          out.push_back(kHex[(c >> 4) & 0xf]);
          out.push_back(kHex[c & 0xf]);
        } else {
          out.push_back(c);
        }
    }
  }
  out.push_back('"');
}


}  // namespace weft
