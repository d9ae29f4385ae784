// How the CLI shows times, durations and executions to people; machines get host/views JSON.
#pragma once

#include "common/json.hpp"
#include "store/records.hpp"
#include "views/views.hpp"

#include <optional>
#include <string>

namespace weft::cli {

using views::format_time;
using views::time_or_null;
/// `850ms`, `1.25s`, `3m12s`.
std::string format_elapsed(std::int64_t millis);

// The --json shapes are the HTTP API's (host/views).
using views::execution_json;
using views::summary_json;

/// Short one-line rendering of a JSON value for tables (truncated).
std::string brief(const Json& value, std::size_t max_length = 80);

}  // namespace weft::cli
