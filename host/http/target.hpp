// The request target (`/v1/executions/abc?status=failed&limit=10`) as a
// decoded path and query parameters.
#pragma once

#include "http/message.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace weft::http {

struct Target {
  std::string path;
  Fields query;
};

/// Splits and percent-decodes an origin-form target ('+' in the query is a
/// space). Nullopt when it is not one: not starting with '/', a bad or NUL escape.
std::optional<Target> parse_target(std::string_view target);

/// Percent-decodes `text` (`plus_is_space` for query strings); nullopt on a bad escape or a NUL byte.
std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space);

}  // namespace weft::http
