// The checkpoint statement's parameters, built from checkpoints, and its
// execution in whatever transaction the caller has open.
#include "store/checkpoint_writer.hpp"

#include "store/checkpoint_sql.hpp"
#include "store/json_rows.hpp"
#include "store/pg_values.hpp"

#include <pqxx/pqxx>

#include <algorithm>
#include <set>
#include <string_view>

namespace weft::store {
namespace {

/// The fields of a checkpoint's steps or compensations row, with the attempt
/// that completed it, if the checkpoint records one.
void add_step_fields(JsonRows& rows, const StepState& step, std::optional<std::int64_t> retry_delay_ms,
                     const AttemptRecord* completed) {
  rows.field("step_id", step.step_id);
  rows.field("status", step.status);
  rows.field("attempts", std::int64_t{step.attempts});
  rows.field("input", step.input);
  rows.field("output", step.output);
  rows.field("error", step.error);
  rows.field("attempt_base", std::int64_t{step.attempt_base});
  rows.field("retry_delay_ms", retry_delay_ms);
  if (completed != nullptr) {
    rows.field("attempt_started_at", std::int64_t{completed->started_at});
    rows.field("attempt_finished_at", std::int64_t{completed->finished_at});
    rows.field("attempt_info", completed->info);
  }
}

/// The completed attempt `row` of `rows` (a steps or compensations row)
/// records, if `checkpoint` has it: it is then written on the row instead of
/// as a row of weft.attempts.
const AttemptRecord* completed_attempt_of(const Checkpoint& checkpoint, const StepWrite& row, bool compensation) {
  for (const auto& attempt : checkpoint.attempts) {
    if (attempt.status != "completed" || attempt.attempt != row.state.attempts) continue;
    std::string_view id = attempt.step_id;
    if (compensation) {
      const std::string_view prefix = kCompensationPrefix;
      if (!id.starts_with(prefix)) continue;
      id.remove_prefix(prefix.size());
    }
    if (id == row.state.step_id) return &attempt;
  }
  return nullptr;
}

}  // namespace

CheckpointCall checkpoint_call(const std::vector<CheckpointWrite>& writes, WhenFencedOut when) {
  CheckpointShape shape;
  JsonRows leases, attempts, steps, compensations, events, executions;
  std::vector<std::string> consumed;
  for (const auto& [lease, checkpoint] : writes) {
    const auto of_this_execution = [&](JsonRows& rows) {
      rows.row();
      rows.field("execution_id", lease->execution_id);
    };
    of_this_execution(leases);
    leases.field("host_id", lease->host_id);
    leases.field("fence", std::int64_t{lease->fence});
    // Completed attempts go on their rows: only the others need weft.attempts.
    std::vector<const AttemptRecord*> on_rows;
    const auto row_attempt = [&](const StepWrite& row, bool compensation) {
      const auto* attempt = completed_attempt_of(*checkpoint, row, compensation);
      if (attempt != nullptr) on_rows.push_back(attempt);
      return attempt;
    };
    for (const auto& write : checkpoint->steps) {
      of_this_execution(steps);
      add_step_fields(steps, write.state, write.retry_delay_ms, row_attempt(write, false));
    }
    for (const auto& write : checkpoint->compensations) {
      of_this_execution(compensations);
      add_step_fields(compensations, write.state, write.retry_delay_ms, row_attempt(write, true));
    }
    for (const auto& attempt : checkpoint->attempts) {
      if (std::find(on_rows.begin(), on_rows.end(), &attempt) != on_rows.end()) continue;
      shape.attempts = true;
      of_this_execution(attempts);
      attempts.field("step_id", attempt.step_id);
      attempts.field("attempt", std::int64_t{attempt.attempt});
      attempts.field("status", attempt.status);
      attempts.field("error", attempt.error);
      attempts.field("started_at", std::int64_t{attempt.started_at});
      attempts.field("finished_at", std::int64_t{attempt.finished_at});
      attempts.field("info", attempt.info);
    }
    for (const auto id : checkpoint->consumed_signals) consumed.push_back(std::to_string(id));
    for (const auto& event : checkpoint->events) {
      of_this_execution(events);
      add_event_fields(events, event);
    }
    if (checkpoint->finish || checkpoint->status || checkpoint->park) {
      of_this_execution(executions);
      if (checkpoint->finish) {
        executions.field("finish_status", checkpoint->finish->status);
        executions.field("finish_output", checkpoint->finish->output);
        executions.field("finish_error", checkpoint->finish->error);
      }
      if (checkpoint->status) executions.field("status", *checkpoint->status);
      if (checkpoint->park) {
        executions.field("park_ms", std::int64_t{checkpoint->park->wake_in_ms});
        executions.field("seen_wake_seq", std::int64_t{checkpoint->park->seen_wake_seq});
      }
    }
    shape.steps = shape.steps || !checkpoint->steps.empty();
    shape.compensations = shape.compensations || !checkpoint->compensations.empty();
    shape.consumed_signals = shape.consumed_signals || !checkpoint->consumed_signals.empty();
    shape.events = shape.events || !checkpoint->events.empty();
    shape.execution = shape.execution || checkpoint->finish || checkpoint->status || checkpoint->park;
  }
  // In the order checkpoint_statement numbers them.
  std::vector<std::string> parameters{leases.finish()};
  if (shape.attempts) parameters.push_back(attempts.finish());
  if (shape.steps) parameters.push_back(steps.finish());
  if (shape.compensations) parameters.push_back(compensations.finish());
  if (shape.consumed_signals) parameters.push_back(to_pg_array(consumed));
  if (shape.events) parameters.push_back(events.finish());
  if (shape.execution) parameters.push_back(executions.finish());
  return {&checkpoint_statement(shape, when), std::move(parameters)};
}

std::vector<bool> write_checkpoints(pqxx::transaction_base& txn, const std::vector<CheckpointWrite>& writes) {
  const auto [statement, parameters] = checkpoint_call(writes, WhenFencedOut::Skip);
  // Registering is lazy and idempotent in libpqxx: the server prepares a shape
  // on its first use on each connection.
  txn.conn().prepare(statement->name, statement->text);
  std::set<std::string> held;
  for (const auto& row : txn.exec_prepared(statement->name, pqxx::prepare::make_dynamic_params(parameters)))
    held.emplace(row[0].c_str());
  std::vector<bool> written;
  written.reserve(writes.size());
  for (const auto& write : writes) written.push_back(held.count(write.lease->execution_id) > 0);
  return written;
}

bool write_checkpoint(pqxx::transaction_base& txn, const Lease& lease, const Checkpoint& checkpoint) {
  return write_checkpoints(txn, {CheckpointWrite{&lease, &checkpoint}}).front();
}

}  // namespace weft::store
