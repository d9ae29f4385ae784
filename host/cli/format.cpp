#include "cli/format.hpp"

#include <ctime>

#include <spdlog/fmt/fmt.h>

namespace weft::cli {

std::string format_time(store::EpochMillis at) {
  const std::time_t seconds = static_cast<std::time_t>(at / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buffer[32];
  const auto n = std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%S", &tm);
  return std::string(buffer, n) + fmt::format(".{:03d}Z", static_cast<int>(at % 1000));
}

Json time_or_null(const std::optional<store::EpochMillis>& at) {
  if (!at) return nullptr;
  return Json(format_time(*at));
}

std::string format_elapsed(std::int64_t millis) {
  if (millis < 1000) return std::to_string(millis) + "ms";
  if (millis < 60000) return fmt::format("{:.2f}s", static_cast<double>(millis) / 1000.0);
  return fmt::format("{}m{}s", millis / 60000, (millis % 60000) / 1000);
}

Json summary_json(const store::ExecutionSummary& summary) {
  return JsonObject{{"id", summary.id},
                    {"workflow", summary.workflow},
                    {"version", summary.version},
                    {"status", summary.status},
                    {"key", summary.key ? Json(*summary.key) : Json(nullptr)},
                    {"trace_id", summary.trace_id},
                    {"created_at", format_time(summary.created_at)},
                    {"finished_at", time_or_null(summary.finished_at)}};
}

Json steps_json(const std::vector<store::StepView>& views);

Json execution_json(const store::ExecutionDetail& detail) {
  JsonObject object = summary_json(detail.summary).as_object();
  object["started_at"] = time_or_null(detail.started_at);
  object["input"] = detail.input;
  object["output"] = detail.output;
  object["error"] = detail.error;
  object["cancel_requested"] = detail.cancel_requested;
  object["steps"] = steps_json(detail.steps);
  object["compensations"] = steps_json(detail.compensations);
  return object;
}

Json steps_json(const std::vector<store::StepView>& views) {
  JsonArray steps;
  for (const auto& step : views) {
    JsonArray history;
    for (const auto& attempt : step.attempts) {
      history.push_back(JsonObject{{"attempt", attempt.attempt},
                                   {"status", attempt.status},
                                   {"error", attempt.error},
                                   {"started_at", format_time(attempt.started_at)},
                                   {"finished_at", format_time(attempt.finished_at)},
                                   {"duration_ms", attempt.finished_at - attempt.started_at}});
    }
    steps.push_back(JsonObject{{"id", step.state.step_id},
                               {"status", step.state.status},
                               {"attempts", step.state.attempts},
                               {"input", step.state.input},
                               {"output", step.state.output},
                               {"error", step.state.error},
                               {"started_at", time_or_null(step.state.started_at)},
                               {"finished_at", time_or_null(step.state.finished_at)},
                               {"next_attempt_at", time_or_null(step.state.next_attempt_at)},
                               {"history", std::move(history)}});
  }
  return steps;
}

std::string brief(const Json& value, std::size_t max_length) {
  std::string text = value.is_string() ? std::string(value.get_string()) : to_json_text(value);
  if (text.size() > max_length) text = text.substr(0, max_length - 3) + "...";
  return text;
}

}  // namespace weft::cli
