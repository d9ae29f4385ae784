// The spans the engine reports when tracing is on (EngineOptions::spans):
//   workflow <id>            one per execution, when it finishes on this host;
//                            its parent is the producer's span (the event's traceparent)
//   step <id> / compensate <id>   one per attempt, child of the execution's span
//   lock wait                a named lock the attempt waited for, child of the attempt
// All carry the execution's trace id. Span ids are derived from what they
// stand for (execution, step, attempt), so an attempt reported twice (a host
// that died after reporting) is the same span, and every host agrees on the
// execution span's id without asking.
#pragma once

#include "common/outcome.hpp"
#include "engine/execution_run.hpp"
#include "store/records.hpp"
#include "tracing/spans.hpp"

#include <optional>

namespace weft::engine {

/// One finished attempt (`retrying`: the step gets another one).
void report_attempt(tracing::SpanSink& sink, const ExecutionRun& run, AttemptTarget target, int attempt,
                    const StepOutcome& outcome, bool retrying, store::EpochMillis started,
                    store::EpochMillis finished, std::optional<std::int64_t> lock_wait_ms);

/// The execution, finished with `finish` just now.
void report_execution(tracing::SpanSink& sink, const ExecutionRun& run, const store::Checkpoint::Finish& finish);

}  // namespace weft::engine
