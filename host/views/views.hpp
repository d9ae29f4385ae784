// How executions, dead letters and traces look as JSON: one serializer for the
// CLI's --json output and the HTTP API, so both always give the same shapes.
#pragma once

#include "common/json.hpp"
#include "store/records.hpp"

#include <optional>
#include <string>
#include <vector>

namespace weft::views {

/// RFC 3339 UTC with milliseconds, e.g. 2026-11-21T10:30:00.123Z.
std::string format_time(store::EpochMillis at);
Json time_or_null(const std::optional<store::EpochMillis>& at);

/// One execution in a list: id workflow version status key trace_id created_at finished_at.
Json summary_json(const store::ExecutionSummary& summary);
/// One execution whole (`weft status --json`, GET /v1/executions/{id}).
Json execution_json(const store::ExecutionDetail& detail);
/// One entry of the dead-letter queue: a summary with step, attempts and error.
Json dead_letter_json(const store::DeadLetter& letter);
/// A trace: {"trace_id", "timeline": [{at kind execution_id workflow step detail}], "summary"}.
Json trace_json(const std::string& trace_id, const std::vector<store::TimelineEntry>& entries);

}  // namespace weft::views
