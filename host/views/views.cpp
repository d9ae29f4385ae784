#include "views/views.hpp"

#include <spdlog/fmt/fmt.h>

#include <ctime>
#include <map>
#include <set>

namespace weft::views {
namespace {

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

}  // namespace

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

Json execution_json(const store::ExecutionDetail& detail) {
  JsonObject object = summary_json(detail.summary).as_object();
  object["started_at"] = time_or_null(detail.started_at);
  object["input"] = detail.input;
  object["output"] = detail.output;
  object["error"] = detail.error;
  if (!detail.content_hash.empty()) object["content_hash"] = detail.content_hash;
  object["cancel_requested"] = detail.cancel_requested;
  object["steps"] = steps_json(detail.steps);
  object["compensations"] = steps_json(detail.compensations);
  return object;
}

Json dead_letter_json(const store::DeadLetter& letter) {
  auto row = summary_json(letter.summary).as_object();
  row["step"] = letter.step;
  row["attempts"] = letter.attempts;
  row["error"] = letter.error;
  return row;
}

Json trace_json(const std::string& trace_id, const std::vector<store::TimelineEntry>& entries) {
  JsonArray timeline;
  std::set<std::string> executions;
  std::map<std::string, std::int64_t> kinds;
  for (const auto& entry : entries) {
    timeline.push_back(JsonObject{{"at", format_time(entry.at)},
                                  {"kind", entry.kind},
                                  {"execution_id", entry.execution_id},
                                  {"workflow", entry.workflow},
                                  {"step", entry.step_id},
                                  {"detail", entry.detail}});
    if (!entry.execution_id.empty()) executions.insert(entry.execution_id);
    ++kinds[entry.kind];
  }
  JsonObject summary{{"entries", static_cast<std::int64_t>(entries.size())},
                     {"executions", static_cast<std::int64_t>(executions.size())}};
  if (!entries.empty()) {
    summary["first_at"] = format_time(entries.front().at);
    summary["last_at"] = format_time(entries.back().at);
    summary["duration_ms"] = entries.back().at - entries.front().at;
  }
  JsonObject by_kind;
  for (const auto& [kind, count] : kinds) by_kind[kind] = count;
  summary["by_kind"] = std::move(by_kind);
  return JsonObject{{"trace_id", trace_id}, {"summary", std::move(summary)}, {"timeline", std::move(timeline)}};
}

}  // namespace weft::views
