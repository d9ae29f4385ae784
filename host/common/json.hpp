// The one data type that crosses weft's internal boundaries: step inputs and
// outputs, events, execution state. Boost.JSON, so there is a single parser and
// serializer in the process.
#pragma once

#include <boost/json.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace weft {

using Json = boost::json::value;
using JsonObject = boost::json::object;
using JsonArray = boost::json::array;

/// Parses `text` as one JSON document.
/// @return the value, or nullopt with `error` set to a message a person can act on.
std::optional<Json> parse_json(std::string_view text, std::string* error = nullptr);

/// Compact serialization.
std::string to_json_text(const Json& value);

/// Appends `text` as a JSON string (quoted, escaped): for bodies written
/// without building a document first.
void append_json_string(std::string& out, std::string_view text);

/// Follows a dotted path (`data.order.id`) through nested objects; nullptr when absent.
const Json* find_path(const Json& root, std::string_view dotted_path);

}  // namespace weft
