#include "store/checkpoint_sql.hpp"

#include <array>
#include <cctype>
#include <map>
#include <stdexcept>
#include <string_view>
#include <vector>

namespace weft::store {
namespace {

// Parts of the statement; `@name` marks a parameter, numbered when composed.
// Every fenced write starts by locking the execution rows with their callers'
// leases; an execution whose lease no longer holds is no longer its caller's,
// and no part writes for it (each joins the lease).
// The lookup is a primary-key probe per lease whatever the statistics say:
// a lateral subquery with a row lock is never flattened into a hash or merge
// join, and `IS NOT DISTINCT FROM` (the same as `=` here: a lease always
// names its host) cannot use executions_owner, which the planner otherwise
// preferred, scanning every execution the host owns per checkpoint (issue 6).
constexpr std::string_view kLease = R"sql(
lease AS (
  SELECT e.id, l.host_id
    FROM jsonb_to_recordset(@leases::jsonb) AS l(execution_id uuid, host_id uuid, fence bigint)
   CROSS JOIN LATERAL (
     SELECT x.id FROM weft.executions x
      WHERE x.id = l.execution_id AND x.owner IS NOT DISTINCT FROM l.host_id AND x.fence = l.fence
     FOR NO KEY UPDATE) e))sql";

constexpr std::string_view kAttempts = R"sql(,
attempt AS (
  INSERT INTO weft.attempts (execution_id, step_id, attempt, status, error, started_at, finished_at,
                             host_id, info)
  SELECT lease.id, a.step_id, a.attempt, a.status, a.error,
         to_timestamp(a.started_at / 1000.0), to_timestamp(a.finished_at / 1000.0), lease.host_id, a.info
    FROM jsonb_to_recordset(@attempts::jsonb) AS a(execution_id uuid, step_id text, attempt int, status text,
         error jsonb, started_at bigint, finished_at bigint, info jsonb)
    JOIN lease ON lease.id = a.execution_id
  ON CONFLICT DO NOTHING))sql";

// A row may carry the attempt that completed it (attempt_* fields); a later
// write of the row without one (compensating, compensated) keeps it.
constexpr std::string_view kSteps = R"sql(,
step AS (
  INSERT INTO weft.steps (execution_id, step_id, status, attempts, attempt_base, input, output,
                          error, next_attempt_at, started_at, finished_at, done_seq,
                          attempt_started_at, attempt_finished_at, attempt_host, attempt_info)
  SELECT lease.id, s.step_id, s.status, s.attempts, coalesce(s.attempt_base, 0), s.input, s.output,
         s.error, now() + s.retry_delay_ms * interval '1 millisecond', now(),
         CASE WHEN s.status IN ('completed', 'failed', 'skipped') THEN now() END,
         CASE WHEN s.status = 'completed' THEN nextval('weft.done_seq') END,
         to_timestamp(s.attempt_started_at / 1000.0), to_timestamp(s.attempt_finished_at / 1000.0),
         CASE WHEN s.attempt_finished_at IS NOT NULL THEN lease.host_id END, s.attempt_info
    FROM jsonb_to_recordset(@steps::jsonb) AS s(execution_id uuid, step_id text, status text, attempts int,
         attempt_base int, input jsonb, output jsonb, error jsonb, retry_delay_ms bigint,
         attempt_started_at bigint, attempt_finished_at bigint, attempt_info jsonb)
    JOIN lease ON lease.id = s.execution_id
  ON CONFLICT (execution_id, step_id) DO UPDATE
     SET status = EXCLUDED.status, attempts = EXCLUDED.attempts,
         attempt_base = EXCLUDED.attempt_base,
         input = coalesce(EXCLUDED.input, weft.steps.input), output = EXCLUDED.output,
         error = EXCLUDED.error, next_attempt_at = EXCLUDED.next_attempt_at,
         started_at = coalesce(weft.steps.started_at, EXCLUDED.started_at),
         finished_at = coalesce(EXCLUDED.finished_at, CASE WHEN EXCLUDED.status IN
                                ('compensating', 'compensated') THEN weft.steps.finished_at END),
         done_seq = coalesce(weft.steps.done_seq, EXCLUDED.done_seq),
         attempt_started_at = coalesce(EXCLUDED.attempt_started_at, weft.steps.attempt_started_at),
         attempt_finished_at = coalesce(EXCLUDED.attempt_finished_at, weft.steps.attempt_finished_at),
         attempt_host = coalesce(EXCLUDED.attempt_host, weft.steps.attempt_host),
         attempt_info = CASE WHEN EXCLUDED.attempt_finished_at IS NOT NULL THEN EXCLUDED.attempt_info
                             ELSE weft.steps.attempt_info END))sql";

constexpr std::string_view kCompensations = R"sql(,
compensation AS (
  INSERT INTO weft.compensations (execution_id, step_id, status, attempts, attempt_base, input,
                                  output, error, next_attempt_at, started_at, finished_at,
                                  attempt_started_at, attempt_finished_at, attempt_host, attempt_info)
  SELECT lease.id, c.step_id, c.status, c.attempts, coalesce(c.attempt_base, 0), c.input, c.output,
         c.error, now() + c.retry_delay_ms * interval '1 millisecond', now(),
         CASE WHEN c.status IN ('compensated', 'failed') THEN now() END,
         to_timestamp(c.attempt_started_at / 1000.0), to_timestamp(c.attempt_finished_at / 1000.0),
         CASE WHEN c.attempt_finished_at IS NOT NULL THEN lease.host_id END, c.attempt_info
    FROM jsonb_to_recordset(@compensations::jsonb) AS c(execution_id uuid, step_id text, status text,
         attempts int, attempt_base int, input jsonb, output jsonb, error jsonb, retry_delay_ms bigint,
         attempt_started_at bigint, attempt_finished_at bigint, attempt_info jsonb)
    JOIN lease ON lease.id = c.execution_id
  ON CONFLICT (execution_id, step_id) DO UPDATE
     SET status = EXCLUDED.status, attempts = EXCLUDED.attempts,
         attempt_base = EXCLUDED.attempt_base,
         input = coalesce(EXCLUDED.input, weft.compensations.input), output = EXCLUDED.output,
         error = EXCLUDED.error, next_attempt_at = EXCLUDED.next_attempt_at,
         started_at = coalesce(weft.compensations.started_at, EXCLUDED.started_at),
         finished_at = EXCLUDED.finished_at,
         attempt_started_at = coalesce(EXCLUDED.attempt_started_at, weft.compensations.attempt_started_at),
         attempt_finished_at = coalesce(EXCLUDED.attempt_finished_at, weft.compensations.attempt_finished_at),
         attempt_host = coalesce(EXCLUDED.attempt_host, weft.compensations.attempt_host),
         attempt_info = CASE WHEN EXCLUDED.attempt_finished_at IS NOT NULL THEN EXCLUDED.attempt_info
                             ELSE weft.compensations.attempt_info END))sql";

// Signal ids are unique across executions; the lease join keeps a fenced-out
// execution's signals unconsumed.
constexpr std::string_view kConsumedSignals = R"sql(,
consumed AS (
  UPDATE weft.signals SET consumed_by = lease.host_id::text, consumed_at = now()
    FROM lease WHERE weft.signals.execution_id = lease.id
                 AND weft.signals.id = ANY(@consumed_signals::bigint[])))sql";

// A SELECT part runs only if read: the final SELECT reads emitted_notice.
constexpr std::string_view kEvents = R"sql(,
emitted AS (
  INSERT INTO weft.events (source, id, type, trace_id, document)
  SELECT ev.source, ev.id, ev.type, ev.trace_id, ev.document
    FROM jsonb_to_recordset(@events::jsonb) AS ev(execution_id uuid, source text, id text, type text,
         trace_id text, document jsonb)
    JOIN lease ON lease.id = ev.execution_id
  ON CONFLICT DO NOTHING RETURNING 1),
emitted_notice AS (SELECT pg_notify('weft_events', '') FROM (SELECT 1 FROM emitted LIMIT 1) one))sql";

// The rows to update are found by key from the leases (an index probe per
// execution): joined instead, with the 100 rows PostgreSQL assumes a
// recordset has, a full scan of executions into a hash looked cheaper than
// 100 probes, and ran on every finishing checkpoint (issue 6, measured).
constexpr std::string_view kExecution = R"sql(,
finish AS (
  UPDATE weft.executions e
     SET status = coalesce(f.finish_status, f.status, e.status),
         output = CASE WHEN f.finish_status IS NOT NULL THEN f.finish_output ELSE e.output END,
         error = CASE WHEN f.finish_status IS NOT NULL THEN f.finish_error ELSE e.error END,
         owner = CASE WHEN f.finish_status IS NOT NULL OR f.park_ms IS NOT NULL THEN NULL ELSE e.owner END,
         fence = CASE WHEN f.finish_status IS NOT NULL OR f.park_ms IS NOT NULL THEN e.fence + 1 ELSE e.fence END,
         -- parked: wake at the timer, or at once if a signal came since the host looked
         available_at = CASE WHEN f.park_ms IS NULL THEN e.available_at
                             WHEN e.wake_seq <> f.seen_wake_seq THEN now()
                             ELSE now() + f.park_ms * interval '1 millisecond' END,
         finished_at = CASE WHEN f.finish_status IS NOT NULL THEN now() END, updated_at = now()
    FROM jsonb_to_recordset(@executions::jsonb) AS f(execution_id uuid, finish_status text,
         finish_output jsonb, finish_error jsonb, status text, park_ms bigint, seen_wake_seq bigint)
   WHERE e.id = ANY(ARRAY(SELECT id FROM lease)) AND e.id = f.execution_id))sql";

/// Parameter names in their numbering order (see the header).
constexpr std::array<std::string_view, 7> kParameterOrder = {
    "leases", "attempts", "steps", "compensations", "consumed_signals", "events", "executions"};

/// Replaces each `@name` with `$n`, n given by kParameterOrder among the names used.
std::string number_parameters(const std::string& text) {
  std::vector<std::string_view> used;
  const auto name_at = [&](std::size_t at) {
    std::size_t end = at + 1;
    while (end < text.size() && (std::islower(static_cast<unsigned char>(text[end])) || text[end] == '_')) ++end;
    return std::string_view(text).substr(at + 1, end - at - 1);
  };
  for (std::size_t at = text.find('@'); at != std::string::npos; at = text.find('@', at + 1)) used.push_back(name_at(at));
  std::map<std::string_view, int> number;
  for (const auto name : kParameterOrder) {
    for (const auto used_name : used) {
      if (used_name == name) {
        number.emplace(name, static_cast<int>(number.size()) + 1);
        break;
      }
    }
  }
  std::string numbered;
  std::size_t from = 0;
  for (std::size_t at = text.find('@'); at != std::string::npos; at = text.find('@', from)) {
    const auto name = name_at(at);
    const auto it = number.find(name);
    if (it == number.end()) throw std::logic_error("checkpoint statement: unknown parameter @" + std::string(name));
    numbered.append(text, from, at - from).append("$").append(std::to_string(it->second));
    from = at + 1 + name.size();
  }
  return numbered.append(text, from, std::string::npos);
}

CheckpointStatement compose(CheckpointShape shape, WhenFencedOut when) {
  std::string text = "WITH";
  text += kLease;
  if (shape.attempts) text += kAttempts;
  if (shape.steps) text += kSteps;
  if (shape.compensations) text += kCompensations;
  if (shape.consumed_signals) text += kConsumedSignals;
  if (shape.events) text += kEvents;
  if (shape.execution) text += kExecution;
  const bool raise = when == WhenFencedOut::Raise;
  // weft.fenced_out() raises; CASE calls it only when a lease did not hold.
  text += raise ? "\nSELECT CASE WHEN (SELECT count(*) FROM lease) = jsonb_array_length(@leases::jsonb)"
                  " THEN 'held' ELSE weft.fenced_out() END"
                : "\nSELECT lease.id::text";
  if (shape.events) text += ", (SELECT count(*) FROM emitted_notice)";
  if (!raise) text += " FROM lease";
  return {"checkpoint_" + std::to_string(shape.index()) + (raise ? "_held" : ""), number_parameters(text)};
}

}  // namespace

unsigned CheckpointShape::index() const {
  return (attempts ? 1u : 0u) | (steps ? 2u : 0u) | (compensations ? 4u : 0u) | (consumed_signals ? 8u : 0u) |
         (events ? 16u : 0u) | (execution ? 32u : 0u);
}

CheckpointShape CheckpointShape::from_index(unsigned index) {
  CheckpointShape shape;
  shape.attempts = (index & 1u) != 0;
  shape.steps = (index & 2u) != 0;
  shape.compensations = (index & 4u) != 0;
  shape.consumed_signals = (index & 8u) != 0;
  shape.events = (index & 16u) != 0;
  shape.execution = (index & 32u) != 0;
  return shape;
}

const CheckpointStatement& checkpoint_statement(CheckpointShape shape, WhenFencedOut when) {
  static const auto statements = [] {
    std::vector<CheckpointStatement> all;
    for (const auto way : {WhenFencedOut::Skip, WhenFencedOut::Raise}) {
      for (unsigned index = 0; index < CheckpointShape::kCount; ++index)
        all.push_back(compose(CheckpointShape::from_index(index), way));
    }
    return all;
  }();
  return statements[shape.index() + (when == WhenFencedOut::Raise ? CheckpointShape::kCount : 0)];
}

}  // namespace weft::store
