#include "engine/engine_spans.hpp"

#include <algorithm>
#include <chrono>

namespace weft::engine {
namespace {

constexpr std::int64_t kNanosPerMilli = 1'000'000;

std::string execution_span_id(const ExecutionRun& run) { return tracing::span_id_of(run.record().id); }

void add_common(tracing::Span& span, const ExecutionRun& run) {
  span.trace_id = run.record().trace_id;
  span.attributes = {{"weft.workflow", run.record().workflow},
                     {"weft.workflow.version", run.record().version},
                     {"weft.workflow.content_hash", run.record().content_hash},
                     {"weft.execution.id", run.record().id}};
}

void add_error(tracing::Span& span, const StepError& error) {
  span.error = true;
  span.status_message = error.message;
  span.attributes.emplace_back("weft.error.code", error.code);
  if (error.details.is_object()) {
    if (const auto* sqlstate = error.details.as_object().if_contains("sqlstate"); sqlstate && sqlstate->is_string())
      span.attributes.emplace_back("db.sqlstate", std::string(sqlstate->as_string()));
  }
}

/// When the execution began on the database clock: its first step's start, else when this host claimed it.
store::EpochMillis began_at(const ExecutionRun& run) {
  auto began = run.record().db_now;
  for (const auto& step : run.record().steps)
    if (step.started_at) began = std::min(began, *step.started_at);
  return began;
}

}  // namespace

void report_attempt(tracing::SpanSink& sink, const ExecutionRun& run, AttemptTarget target, int attempt,
                    const StepOutcome& outcome, bool retrying, store::EpochMillis started,
                    store::EpochMillis finished, std::optional<std::int64_t> lock_wait_ms) {
  if (run.record().trace_id.empty()) return;
  const auto step = run.attempt_id(target);
  tracing::Span span;
  add_common(span, run);
  span.span_id = tracing::span_id_of(run.record().id + "/" + step + "/" + std::to_string(attempt));
  span.parent_span_id = execution_span_id(run);
  span.name = (target.compensation ? "compensate " : "step ") + run.steps()[target.index].definition->id;
  span.start_unix_nano = started * kNanosPerMilli;
  span.end_unix_nano = std::max(finished, started) * kNanosPerMilli;
  span.attributes.emplace_back("weft.step", step);
  span.attributes.emplace_back("weft.attempt", static_cast<std::int64_t>(attempt));
  span.attributes.emplace_back("weft.outcome", outcome.ok() ? "completed" : retrying ? "retrying" : "failed");
  span.attributes.emplace_back("weft.compensation", target.compensation);
  if (!outcome.ok()) add_error(span, outcome.error());

  if (lock_wait_ms && *lock_wait_ms > 0) {
    tracing::Span wait;
    add_common(wait, run);
    wait.span_id = tracing::span_id_of(span.span_id + "/lock");
    wait.parent_span_id = span.span_id;
    wait.name = "lock wait";
    wait.start_unix_nano = span.start_unix_nano;
    wait.end_unix_nano = std::min(span.end_unix_nano, span.start_unix_nano + *lock_wait_ms * kNanosPerMilli);
    wait.attributes.emplace_back("weft.step", step);
    sink.record(std::move(wait));
  }
  sink.record(std::move(span));
}

void report_execution(tracing::SpanSink& sink, const ExecutionRun& run, const store::Checkpoint::Finish& finish) {
  const auto finished = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch()).count();
  if (run.record().trace_id.empty()) return;
  tracing::Span span;
  add_common(span, run);
  span.span_id = execution_span_id(run);
  if (const auto& event = run.event(); event.is_object()) {
    if (const auto* traceparent = event.as_object().if_contains("traceparent"); traceparent && traceparent->is_string())
      span.parent_span_id = tracing::parent_span_of(traceparent->as_string());
  }
  span.name = "workflow " + run.record().workflow;
  span.start_unix_nano = began_at(run) * kNanosPerMilli;
  span.end_unix_nano = std::max(finished * kNanosPerMilli, span.start_unix_nano);
  span.attributes.emplace_back("weft.status", finish.status);
  if (finish.error.is_object()) {
    const auto error = StepError::from_json(finish.error);
    add_error(span, error);
  }
  sink.record(std::move(span));
}

}  // namespace weft::engine
