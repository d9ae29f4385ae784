// How the CLI shows times, durations and executions to people and to machines.
#pragma once

#include "common/json.hpp"
#include "store/records.hpp"

#include <optional>
#include <string>

namespace weft::cli {

/// RFC 3339 UTC with milliseconds, e.g. 2026-11-21T10:30:00.123Z.
std::string format_time(store::EpochMillis at);
Json time_or_null(const std::optional<store::EpochMillis>& at);
/// `850ms`, `1.25s`, `3m12s`.
std::string format_elapsed(std::int64_t millis);

/// The `status --json` shape of SPEC section 8.
Json execution_json(const store::ExecutionDetail& detail);
/// One line per execution in `list` and `--json` objects.
Json summary_json(const store::ExecutionSummary& summary);

/// Short one-line rendering of a JSON value for tables (truncated).
std::string brief(const Json& value, std::size_t max_length = 80);

}  // namespace weft::cli
