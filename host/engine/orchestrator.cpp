// What happens to one execution: which steps start, how an attempt's outcome
// becomes a checkpoint, retries, deadlines and the end of the execution.
// Every change to a run happens under its mutex, and is written (fenced) before
// anything that depends on it starts.
#include "common/log.hpp"
#include "engine/engine_impl.hpp"
#include "engine/retry.hpp"
#include "engine/step_runner.hpp"
#include "engine/transaction_database.hpp"

#include <spdlog/spdlog.h>

namespace weft::engine {
namespace {

store::EpochMillis now_millis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

LogContext log_context(const ExecutionRun& run, const std::string& step = {}) {
  return LogContext{run.record().trace_id, run.record().id, step};
}

lua::Scope scope_of(const ExecutionRun& run, const Json& steps, const Json& execution) {
  lua::Scope scope;
  scope.event = &run.record().event;
  scope.input = &run.record().input;
  scope.steps = &steps;
  scope.execution = &execution;
  return scope;
}

store::IsolationLevel isolation_of(definitions::Isolation isolation) {
  switch (isolation) {
    case definitions::Isolation::RepeatableRead: return store::IsolationLevel::RepeatableRead;
    case definitions::Isolation::Serializable: return store::IsolationLevel::Serializable;
    case definitions::Isolation::ReadCommitted: break;
  }
  return store::IsolationLevel::ReadCommitted;
}

StepError expression_error(const std::string& what, const StepError& cause) {
  return StepError{"expression", what + ": " + cause.message, false, cause.details};
}

}  // namespace

void Engine::Impl::fail_step(ExecutionRun& run, std::size_t index, const StepError& error) {
  auto& slot = run.steps()[index];
  slot.phase = StepPhase::Failed;
  slot.error = error.to_json();
  if (!run.failure) {
    Json failure = error.to_json();
    failure.as_object()["step"] = slot.definition->id;
    run.failure = std::move(failure);
  }
}

void Engine::Impl::advance(ExecutionRun& run, lua::Vm& vm, std::vector<store::StepWrite>& writes,
                           std::vector<std::size_t>& to_run) {
  if (run.failure || run.timed_out || draining_) return;
  const Json execution = run.execution_scope();
  // Skipping a step can make its dependents ready: repeat until nothing changes.
  for (bool changed = true; changed;) {
    changed = false;
    const auto ready = run.ready_steps();
    if (ready.empty()) return;
    const Json steps = run.steps_scope();
    const auto scope = scope_of(run, steps, execution);
    for (const auto index : ready) {
      auto& slot = run.steps()[index];
      const auto& step = *slot.definition;
      if (step.condition) {
        const auto result = vm.evaluate(step.condition->chunk, scope);
        if (!result.ok() || !result.output().is_bool()) {
          fail_step(run, index,
                    result.ok() ? StepError{"expression",
                                            "step '" + step.id + "' condition must be a boolean, got " +
                                                to_json_text(result.output()),
                                            false, nullptr}
                                : expression_error("step '" + step.id + "' condition", result.error()));
          writes.push_back({run.state_of(index), std::nullopt});
          return;
        }
        if (!result.output().get_bool()) {
          slot.phase = StepPhase::Skipped;
          writes.push_back({run.state_of(index), std::nullopt});
          changed = true;
          continue;
        }
      }
      Json input = run.record().input;
      if (step.kind == definitions::StepKind::Action && step.action.input) {
        auto result = evaluate_template(*step.action.input, scope, vm);
        if (!result.ok()) {
          fail_step(run, index, expression_error("step '" + step.id + "' input", result.error()));
          writes.push_back({run.state_of(index), std::nullopt});
          return;
        }
        input = result.output();
      }
      slot.phase = StepPhase::Running;
      slot.attempts += 1;
      slot.input = std::move(input);
      writes.push_back({run.state_of(index), std::nullopt});
      to_run.push_back(index);
    }
  }
}

std::optional<store::Checkpoint::Finish> Engine::Impl::finish_if_done(ExecutionRun& run) {
  if (run.finished || run.running_count() > 0) return std::nullopt;
  if (run.timed_out) {
    return store::Checkpoint::Finish{
        store::execution_status::kTimedOut, nullptr,
        StepError{"timeout", "the execution reached its timeout", false, nullptr}.to_json()};
  }
  if (run.failure) return store::Checkpoint::Finish{store::execution_status::kFailed, nullptr, *run.failure};
  if (run.all_done())
    return store::Checkpoint::Finish{store::execution_status::kCompleted, run.final_output(), nullptr};
  return std::nullopt;
}

bool Engine::Impl::commit(const RunPtr& run, WorkerContext& context, store::Checkpoint checkpoint) {
  try {
    if (!context.store().checkpoint(run->lease(), checkpoint)) {
      spdlog::warn("execution {} now belongs to another host (fenced out); dropping it here",
                   run->record().id);
      run->abandoned = true;
      run->cancel = true;
      retire(*run);
      return false;
    }
  } catch (const std::exception& error) {
    // In doubt: the write may or may not have committed. Hand the execution
    // back; whoever claims it next continues from what the database says.
    spdlog::error("checkpoint of execution {} failed: {}; handing it back", run->record().id,
                  error.what());
    run->abandoned = true;
    run->cancel = true;
    context.reset_store();
    try {
      context.store().release(run->lease());
    } catch (const std::exception& release_error) {
      spdlog::error("could not hand back execution {}: {}", run->record().id, release_error.what());
    }
    retire(*run);
    return false;
  }
  finish_commit(run, checkpoint);
  return true;
}

void Engine::Impl::finish_commit(const RunPtr& run, const store::Checkpoint& checkpoint) {
  if (checkpoint.finish) {
    run->finished = true;
    const auto& finish = *checkpoint.finish;
    if (finish.status == store::execution_status::kCompleted) {
      spdlog::info("execution {} of {} v{} completed", run->record().id, run->record().workflow,
                   run->record().version);
    } else {
      spdlog::warn("execution {} of {} v{} {}: {}", run->record().id, run->record().workflow,
                   run->record().version, finish.status, to_json_text(finish.error));
    }
    retire(*run);
  }
}

void Engine::Impl::dispatch(const RunPtr& run, const std::vector<std::size_t>& indexes) {
  for (const auto index : indexes)
    pool_->post([this, run, index](WorkerContext& context) { run_attempt(run, index, context); });
}

void Engine::Impl::retire(const ExecutionRun& run) {
  {
    std::lock_guard lock(active_mutex_);
    active_.erase(run.record().id);
  }
  wake_dispatcher();  // room for another claim
}

void Engine::Impl::schedule_retry(const RunPtr& run, std::size_t index, Millis delay) {
  if (draining_) return;  // the next owner resumes it from the stored next_attempt_at
  timers_->schedule(std::chrono::steady_clock::now() + delay, [this, run, index] {
    pool_->post([this, run, index](WorkerContext& context) { start_retry(run, index, context); });
  });
}

void Engine::Impl::resume(const RunPtr& run, WorkerContext& context) {
  std::lock_guard lock(run->mutex);
  LogScope log_scope(log_context(*run));
  if (run->abandoned || run->finished) return;
  store::Checkpoint checkpoint;
  const auto now = now_millis();
  if (run->deadline() && std::chrono::steady_clock::now() >= *run->deadline()) {
    run->timed_out = true;
  }
  for (std::size_t i = 0; i < run->steps().size(); ++i) {
    auto& slot = run->steps()[i];
    if (slot.phase == StepPhase::Failed && !run->failure) {
      fail_step(*run, i, StepError::from_json(slot.error));
    } else if (slot.interrupted) {
      // The previous owner died mid-attempt: that attempt counts, as a failure.
      slot.interrupted = false;
      const StepError lost{"host_lost", "the host running this attempt stopped before it finished",
                           true, nullptr};
      checkpoint.attempts.push_back(
          store::AttemptRecord{slot.definition->id, slot.attempts, "failed", lost.to_json(), now, now});
      slot.error = lost.to_json();
      const auto& policy = slot.definition->action.retry;
      if (!run->timed_out && should_retry(policy, lost, slot.attempts)) {
        Millis delay;
        {
          std::lock_guard rng_lock(rng_mutex_);
          delay = retry_delay(policy, slot.attempts, rng_);
        }
        slot.phase = StepPhase::Retrying;
        checkpoint.steps.push_back({run->state_of(i), delay.count()});
        schedule_retry(run, i, delay);
      } else {
        fail_step(*run, i, lost);
        checkpoint.steps.push_back({run->state_of(i), std::nullopt});
      }
    } else if (slot.phase == StepPhase::Retrying) {
      const auto due = slot.next_attempt_at.value_or(run->record().db_now);
      schedule_retry(run, i, Millis{std::max<std::int64_t>(0, due - run->record().db_now)});
    }
  }
  if (run->deadline() && !run->timed_out) {
    timers_->schedule(*run->deadline(), [this, run] {
      pool_->post([this, run](WorkerContext& worker) { on_deadline(run, worker); });
    });
  }
  std::vector<std::size_t> to_run;
  advance(*run, context.vm(), checkpoint.steps, to_run);
  checkpoint.finish = finish_if_done(*run);
  if (checkpoint.steps.empty() && checkpoint.attempts.empty() && !checkpoint.finish) return;
  if (commit(run, context, std::move(checkpoint))) dispatch(run, to_run);
}

std::optional<Millis> Engine::Impl::apply_outcome(ExecutionRun& run, std::size_t index,
                                                  const StepOutcome& outcome,
                                                  store::EpochMillis started,
                                                  store::EpochMillis finished,
                                                  store::Checkpoint& checkpoint) {
  auto& current = run.steps()[index];
  const auto& step = *current.definition;
  std::optional<Millis> retry_in;
  if (outcome.ok()) {
    current.phase = StepPhase::Completed;
    current.output = outcome.output();
    current.error = nullptr;
    checkpoint.attempts.push_back({step.id, current.attempts, "completed", nullptr, started, finished});
  } else {
    StepError error = outcome.error();
    if (error.code == "cancelled" && draining_ && !run.timed_out) {
      error = StepError{"host_shutdown", "the host shut down during the attempt", true, nullptr};
    }
    checkpoint.attempts.push_back({step.id, current.attempts, "failed", error.to_json(), started, finished});
    current.error = error.to_json();
    // The attempt may have hit the execution's deadline before the deadline timer ran.
    if (run.deadline() && std::chrono::steady_clock::now() >= *run.deadline()) run.timed_out = true;
    const auto& policy = step.action.retry;
    if (!run.timed_out && !run.failure && should_retry(policy, error, current.attempts)) {
      std::lock_guard rng_lock(rng_mutex_);
      retry_in = retry_delay(policy, current.attempts, rng_);
      current.phase = StepPhase::Retrying;
      spdlog::warn("step {} attempt {} of {} failed ({}: {}); retrying in {}ms", step.id,
                   current.attempts, policy.max_attempts, error.code, error.message, retry_in->count());
    } else {
      spdlog::error("step {} failed after {} attempt(s): {}: {}", step.id, current.attempts, error.code,
                    error.message);
      fail_step(run, index, error);
    }
  }
  checkpoint.steps.push_back(
      {run.state_of(index), retry_in ? std::optional<std::int64_t>(retry_in->count()) : std::nullopt});
  return retry_in;
}

void Engine::Impl::run_attempt(const RunPtr& run, std::size_t index, WorkerContext& context) {
  StepSlot slot;
  Json steps_scope;
  {
    std::lock_guard lock(run->mutex);
    if (run->abandoned || run->finished) return;
    slot = run->steps()[index];
    steps_scope = run->steps_scope();
  }
  const auto& step = *slot.definition;
  LogScope log_scope(log_context(*run, step.id));
  const auto started = now_millis();

  // A transactional step's SQL and its checkpoint share one transaction.
  std::unique_ptr<store::StepTransaction> transaction;
  std::optional<TransactionDatabase> database;
  std::optional<StepOutcome> outcome;
  if (step.kind == definitions::StepKind::Action && step.action.transaction) {
    try {
      transaction = std::make_unique<store::StepTransaction>(
          context.store(), isolation_of(step.action.transaction->isolation),
          step.action.transaction->statement_timeout);
      database.emplace(*transaction);
    } catch (const store::SqlError& error) {
      context.reset_store();
      outcome = StepOutcome::failure(error.error());
    } catch (const store::StoreError& error) {
      context.reset_store();
      outcome = StepOutcome::failure(StepError{"connection", error.what(), true, nullptr});
    }
  }
  if (!outcome) {
    outcome = run_step_attempt(*run, slot, steps_scope, context.vm(), options_.lua_memory_limit_bytes,
                               database ? &*database : nullptr);
  }
  const auto finished = now_millis();

  std::lock_guard lock(run->mutex);
  if (run->abandoned || run->finished) return;
  if (transaction && outcome->ok()) {
    const auto saved_steps = run->steps();
    const auto saved_failure = run->failure;
    store::Checkpoint checkpoint;
    const auto retry_in = apply_outcome(*run, index, *outcome, started, finished, checkpoint);
    std::vector<std::size_t> to_run;
    advance(*run, context.vm(), checkpoint.steps, to_run);
    checkpoint.finish = finish_if_done(*run);
    bool written = false;
    try {
      written = transaction->checkpoint(run->lease(), checkpoint);
      if (!written) {
        transaction.reset();  // roll back the step's effects: the execution is not ours
        spdlog::warn("execution {} now belongs to another host (fenced out); rolled back step {}",
                     run->record().id, step.id);
        run->abandoned = true;
        run->cancel = true;
        retire(*run);
        return;
      }
      transaction->commit();
    } catch (const store::SqlError& error) {
      if (written) {
        // COMMIT itself failed: the outcome is unknown. Whoever claims the
        // execution next reads what the database has (the checkpoint commits
        // with the effects or not at all).
        spdlog::error("commit of step {} in execution {} is in doubt: {}; handing it back", step.id,
                      run->record().id, error.what());
        run->abandoned = true;
        run->cancel = true;
        context.reset_store();
        try {
          context.store().release(run->lease());
        } catch (const std::exception&) {
          // The orphan sweep or the lease expiry hands it back later.
        }
        retire(*run);
        return;
      }
      // The checkpoint statement failed inside the transaction (e.g. a
      // serialization failure): the attempt failed; undo and record that instead.
      transaction.reset();
      run->steps() = saved_steps;
      run->failure = saved_failure;
      outcome = StepOutcome::failure(error.error());
      store::Checkpoint failed;
      const auto retry = apply_outcome(*run, index, *outcome, started, finished, failed);
      failed.finish = finish_if_done(*run);
      if (commit(run, context, std::move(failed)) && retry) schedule_retry(run, index, *retry);
      return;
    }
    finish_commit(run, checkpoint);
    if (retry_in) schedule_retry(run, index, *retry_in);
    dispatch(run, to_run);
    return;
  }
  transaction.reset();  // a failed transactional attempt leaves nothing behind
  store::Checkpoint checkpoint;
  const auto retry_in = apply_outcome(*run, index, *outcome, started, finished, checkpoint);
  std::vector<std::size_t> to_run;
  advance(*run, context.vm(), checkpoint.steps, to_run);
  checkpoint.finish = finish_if_done(*run);
  if (!commit(run, context, std::move(checkpoint))) return;
  if (retry_in) schedule_retry(run, index, *retry_in);
  dispatch(run, to_run);
}

void Engine::Impl::start_retry(const RunPtr& run, std::size_t index, WorkerContext& context) {
  std::lock_guard lock(run->mutex);
  LogScope log_scope(log_context(*run, run->steps()[index].definition->id));
  if (run->abandoned || run->finished || draining_) return;
  auto& slot = run->steps()[index];
  if (slot.phase != StepPhase::Retrying) return;
  store::Checkpoint checkpoint;
  if (run->failure || run->timed_out) {
    checkpoint.finish = finish_if_done(*run);
    if (checkpoint.finish) commit(run, context, std::move(checkpoint));
    return;
  }
  slot.phase = StepPhase::Running;
  slot.attempts += 1;
  checkpoint.steps.push_back({run->state_of(index), std::nullopt});
  if (commit(run, context, std::move(checkpoint))) dispatch(run, {index});
}

void Engine::Impl::on_deadline(const RunPtr& run, WorkerContext& context) {
  std::lock_guard lock(run->mutex);
  LogScope log_scope(log_context(*run));
  if (run->abandoned || run->finished) return;
  run->timed_out = true;
  run->cancel = true;  // running Lua attempts stop at their next hook check
  store::Checkpoint checkpoint;
  checkpoint.finish = finish_if_done(*run);
  if (checkpoint.finish) commit(run, context, std::move(checkpoint));
}

}  // namespace weft::engine
