// What happens to one execution: which steps start, how an attempt's outcome
// becomes a checkpoint, retries, deadlines, cancel, compensation and the end
// of the execution. Every change to a run happens under its mutex and is
// written (fenced) before anything that depends on it starts.
// How a run's checkpoints are written is in run_writes.cpp.
//
// A thread holding a run's mutex never waits for the connection pool (it could
// wait for a connection whose holder waits for this mutex): plain checkpoints
// go through group commit's own connections, and the worker's connection is
// used under the mutex only by an attempt that already holds it (its
// transaction, its named lock). Handing an execution back after a checkpoint
// in doubt is a task of its own.
#include "common/log.hpp"
#include "engine/engine_impl.hpp"
#include "engine/engine_spans.hpp"
#include "engine/retry.hpp"
#include "engine/step_runner.hpp"
#include "engine/transaction_database.hpp"
#include "routing/event.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <thread>

namespace weft::engine {
namespace {

store::EpochMillis now_millis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

lua::Scope scope_of(const ExecutionRun& run, const Json& steps, const Json& execution) {
  lua::Scope scope;
  scope.event = &run.event();
  scope.input = &run.record().input;
  scope.steps = &steps;
  scope.execution = &execution;
  return scope;
}

/// Every pooled connection stayed busy: retryable, the database itself is fine.
StepError pool_timeout(const store::PoolTimeout& error) {
  return StepError{"pool_timeout", error.what(), true, nullptr};
}

StepError expression_error(const std::string& what, const StepError& cause) {
  return StepError{"expression", what + ": " + cause.message, false, cause.details};
}

store::IsolationLevel isolation_of(definitions::Isolation isolation) {
  switch (isolation) {
    case definitions::Isolation::RepeatableRead: return store::IsolationLevel::RepeatableRead;
    case definitions::Isolation::Serializable: return store::IsolationLevel::Serializable;
    case definitions::Isolation::ReadCommitted: break;
  }
  return store::IsolationLevel::ReadCommitted;
}

/// A cancel, a failed step or the deadline: no new step starts; what ran is undone.
bool ending(const ExecutionRun& run) { return run.failure || run.timed_out || run.cancelled; }

/// Counts an attempt whose outcome apply_outcome recorded (`retry_in`: what it returned).
void count_attempt(const ExecutionRun& run, AttemptTarget target, const StepOutcome& outcome,
                   const std::optional<Millis>& retry_in) {
  if (!run.metrics) return;
  run.metrics->attempt(target.index, target.compensation,
                       outcome.ok() ? AttemptOutcome::Completed
                       : retry_in   ? AttemptOutcome::Retrying
                                    : AttemptOutcome::Failed);
}

}  // namespace

void Engine::Impl::write_rows(ExecutionRun& run, AttemptTarget target, store::Checkpoint& checkpoint,
                              std::optional<Millis> retry_in) {
  const std::optional<std::int64_t> delay =
      retry_in ? std::optional<std::int64_t>(retry_in->count()) : std::nullopt;
  if (target.compensation) {
    checkpoint.compensations.push_back({run.compensation_state_of(target.index), delay});
    checkpoint.steps.push_back({run.state_of(target.index), std::nullopt});  // compensating/compensated
  } else {
    checkpoint.steps.push_back({run.state_of(target.index), delay});
  }
}

void Engine::Impl::fail_action(ExecutionRun& run, AttemptTarget target, const StepError& error) {
  auto& state = run.state(target);
  state.phase = StepPhase::Failed;
  state.error = error.to_json();
  const auto& step_id = run.steps()[target.index].definition->id;
  if (target.compensation) {
    if (!run.compensation_failure) {
      JsonObject failure{{"code", "compensation_failed"},
                         {"message", "the compensation of step '" + step_id + "' failed after " +
                                         std::to_string(state.attempts - state.attempt_base) +
                                         " attempt(s): " + error.message},
                         {"retryable", false},
                         {"step", step_id},
                         {"cause", run.failure ? *run.failure : Json(nullptr)}};
      run.compensation_failure = Json(std::move(failure));
    }
  } else if (!run.failure) {
    Json failure = error.to_json();
    failure.as_object()["step"] = step_id;
    run.failure = std::move(failure);
  }
}

void Engine::Impl::advance(ExecutionRun& run, lua::Vm& vm, store::Checkpoint& checkpoint,
                           std::vector<AttemptTarget>& to_run) {
  if (ending(run) || run.compensating || draining_) return;
  // The scope copies every step's output: built only when a ready step has an
  // `if:` or an input template, as it stood before this pass changed anything.
  const auto needs_scope = [&](std::size_t index) {
    const auto& step = *run.steps()[index].definition;
    return step.condition || (step.kind == definitions::StepKind::Action && step.action.input &&
                              !step.action.input->is_constant);
  };
  Json execution, steps;
  lua::Scope scope;
  // Skipping a step can make its dependents ready: repeat until nothing changes.
  for (bool changed = true; changed;) {
    changed = false;
    const auto ready = run.ready_steps();
    if (ready.empty()) return;
    if (std::any_of(ready.begin(), ready.end(), needs_scope)) {
      if (execution.is_null()) execution = run.execution_scope();
      steps = run.steps_scope();
      scope = scope_of(run, steps, execution);
    }
    for (const auto index : ready) {
      auto& slot = run.steps()[index];
      const auto& step = *slot.definition;
      const AttemptTarget target{index, false};
      if (step.condition) {
        const auto result = vm.evaluate(step.condition->chunk, scope);
        if (!result.ok() || !result.output().is_bool()) {
          fail_action(run, target,
                      result.ok() ? StepError{"expression",
                                              "step '" + step.id + "' condition must be a boolean, got " +
                                                  to_json_text(result.output()),
                                              false, nullptr}
                                  : expression_error("step '" + step.id + "' condition", result.error()));
          write_rows(run, target, checkpoint, std::nullopt);
          return;
        }
        if (!result.output().get_bool()) {
          slot.forward.phase = StepPhase::Skipped;
          write_rows(run, target, checkpoint, std::nullopt);
          changed = true;
          continue;
        }
      }
      if (step.kind != definitions::StepKind::Action) {
        // A wait or sleep holds nothing: it is a row with a wake-up time.
        const auto duration = step.kind == definitions::StepKind::Wait ? step.wait.timeout : step.sleep;
        slot.forward.phase = StepPhase::Running;
        slot.forward.attempts += 1;
        slot.forward.input = nullptr;
        slot.forward.wake_at = std::chrono::steady_clock::now() + duration;
        checkpoint.steps.push_back({run.state_of(index), duration.count()});
        changed = check_waits(run, checkpoint) || changed;
        continue;
      }
      Json input = run.record().input;
      if (step.kind == definitions::StepKind::Action && step.action.input) {
        auto result = evaluate_template(*step.action.input, scope, vm);
        if (!result.ok()) {
          fail_action(run, target, expression_error("step '" + step.id + "' input", result.error()));
          write_rows(run, target, checkpoint, std::nullopt);
          return;
        }
        input = result.output();
      }
      slot.forward.phase = StepPhase::Running;
      slot.forward.attempts += 1;
      slot.forward.input = std::move(input);
      write_rows(run, target, checkpoint, std::nullopt);
      to_run.push_back(target);
    }
  }
}

void Engine::Impl::settle(ExecutionRun& run, lua::Vm& vm, store::Checkpoint& checkpoint,
                          std::vector<AttemptTarget>& to_run) {
  if (run.finished || run.closing || checkpoint.finish) return;
  using store::Checkpoint;
  namespace status = store::execution_status;
  if (!ending(run)) {
    if (run.all_done()) {
      checkpoint.finish = Checkpoint::Finish{status::kCompleted, run.final_output(), nullptr};
    } else if (run.any_waiting() && run.running_count() == 0 && !run.any_retrying() && to_run.empty()) {
      park(run, checkpoint);
    }
    return;
  }
  if (run.running_count() > 0 || draining_) return;  // wait for attempts in flight
  for (std::size_t i = 0; i < run.steps().size(); ++i) {
    if (!run.is_waiting(i)) continue;
    fail_action(run, {i, false},
                StepError{run.cancelled ? "cancelled" : "timeout",
                          run.cancelled ? "cancelled while waiting" : "the execution ended while waiting",
                          false, nullptr});
    write_rows(run, {i, false}, checkpoint, std::nullopt);
  }
  // Steps waiting for a retry will not get one now.
  for (std::size_t i = 0; i < run.steps().size(); ++i) {
    if (run.steps()[i].forward.phase == StepPhase::Retrying) {
      run.steps()[i].forward.phase = StepPhase::Failed;
      write_rows(run, {i, false}, checkpoint, std::nullopt);
    }
  }
  if (run.compensation_failure) {
    checkpoint.finish = Checkpoint::Finish{status::kFailed, nullptr, *run.compensation_failure};
    return;
  }
  const bool compensate =
      run.cancelled || run.definition().on_failure == definitions::OnFailure::Compensate;
  if (compensate) {
    if (const auto next = run.next_compensation()) {
      auto& slot = run.steps()[*next];
      auto& state = slot.compensation;
      if (state.phase == StepPhase::Retrying) return;  // its retry timer carries on
      const auto& action = *slot.definition->compensate;
      Json input = slot.forward.input;
      if (action.input) {
        const Json steps = run.steps_scope();
        const Json execution = run.execution_scope();
        auto result = evaluate_template(*action.input, scope_of(run, steps, execution), vm);
        if (!result.ok()) {
          fail_action(run, {*next, true},
                      expression_error("compensation of step '" + slot.definition->id + "' input",
                                       result.error()));
          write_rows(run, {*next, true}, checkpoint, std::nullopt);
          checkpoint.finish = Checkpoint::Finish{status::kFailed, nullptr, *run.compensation_failure};
          return;
        }
        input = result.output();
      }
      run.cancel = false;  // the interrupt was for the forward attempts, not for this
      state.phase = StepPhase::Running;
      state.attempts += 1;
      state.input = std::move(input);
      write_rows(run, {*next, true}, checkpoint, std::nullopt);
      if (!run.compensating) {
        run.compensating = true;
        checkpoint.status = status::kCompensating;
        spdlog::warn("execution {} is compensating", run.record().id);
      }
      to_run.push_back({*next, true});
      return;
    }
  }
  if (run.cancelled) {
    checkpoint.finish = Checkpoint::Finish{
        status::kCancelled, nullptr, StepError{"cancelled", "cancelled on request", false, nullptr}.to_json()};
  } else if (run.timed_out) {
    checkpoint.finish = Checkpoint::Finish{
        status::kTimedOut, nullptr,
        StepError{"timeout", "the execution reached its timeout", false, nullptr}.to_json()};
  } else {
    // Compensated: every completed step that declares a compensation was undone.
    checkpoint.finish = Checkpoint::Finish{run.compensating ? status::kCompensated : status::kFailed,
                                           nullptr, *run.failure};
  }
}

bool Engine::Impl::check_waits(ExecutionRun& run, store::Checkpoint& checkpoint) {
  bool changed = false;
  const auto now = std::chrono::steady_clock::now();
  for (std::size_t i = 0; i < run.steps().size(); ++i) {
    if (!run.is_waiting(i)) continue;
    auto& slot = run.steps()[i];
    const auto& step = *slot.definition;
    if (step.kind == definitions::StepKind::Wait) {
      const auto& signals = run.record().signals;
      const auto signal = std::find_if(signals.begin(), signals.end(), [&](const auto& candidate) {
        return candidate.name == step.wait.signal && !run.consumed_signals.count(candidate.id);
      });
      if (signal != signals.end()) {
        run.consumed_signals.insert(signal->id);
        checkpoint.consumed_signals.push_back(signal->id);
        slot.forward.phase = StepPhase::Completed;
        slot.forward.output = signal->data;
        run.mark_completed(i);
        spdlog::info("step {} received signal '{}'", step.id, step.wait.signal);
      } else if (slot.forward.wake_at && now >= *slot.forward.wake_at) {
        fail_action(run, {i, false},
                    StepError{"timeout",
                              "no signal '" + step.wait.signal + "' within " + format_duration(step.wait.timeout),
                              false, nullptr});
      } else {
        continue;
      }
    } else if (slot.forward.wake_at && now >= *slot.forward.wake_at) {
      slot.forward.phase = StepPhase::Completed;
      slot.forward.output = nullptr;
      run.mark_completed(i);
    } else {
      continue;
    }
    write_rows(run, {i, false}, checkpoint, std::nullopt);
    changed = true;
  }
  return changed;
}

void Engine::Impl::park(ExecutionRun& run, store::Checkpoint& checkpoint) {
  auto wake = std::chrono::steady_clock::time_point::max();
  for (std::size_t i = 0; i < run.steps().size(); ++i) {
    if (run.is_waiting(i) && run.steps()[i].forward.wake_at) wake = std::min(wake, *run.steps()[i].forward.wake_at);
  }
  if (run.deadline()) wake = std::min(wake, *run.deadline());
  const auto in = std::chrono::duration_cast<Millis>(wake - std::chrono::steady_clock::now());
  checkpoint.status = store::execution_status::kWaiting;
  checkpoint.park = store::Checkpoint::Park{std::max<std::int64_t>(0, in.count()), run.record().wake_seq};
}

void Engine::Impl::wake_up(const RunPtr& run, WorkerContext& context) {
  const std::lock_guard lock(run->mutex);
  LogScope log_scope(log_context(*run));
  if (run->done_here()) return;
  store::Checkpoint checkpoint;
  check_waits(*run, checkpoint);
  settle_and_commit(run, context, std::move(checkpoint), {});
}

std::optional<Millis> Engine::Impl::apply_outcome(ExecutionRun& run, AttemptTarget target,
                                                  const StepOutcome& outcome,
                                                  store::EpochMillis started,
                                                  store::EpochMillis finished,
                                                  store::Checkpoint& checkpoint) {
  auto& state = run.state(target);
  const auto id = run.attempt_id(target);
  std::optional<Millis> retry_in;
  if (outcome.ok()) {
    state.phase = StepPhase::Completed;
    state.output = outcome.output();
    state.error = nullptr;
    if (!target.compensation) run.mark_completed(target.index);
    checkpoint.attempts.push_back({id, state.attempts, "completed", nullptr, started, finished, nullptr});
  } else {
    StepError error = outcome.error();
    if (error.code == "cancelled" && draining_ && !ending(run)) {
      error = StepError{"host_shutdown", "the host shut down during the attempt", true, nullptr};
    }
    checkpoint.attempts.push_back({id, state.attempts, "failed", error.to_json(), started, finished, nullptr});
    state.error = error.to_json();
    // The attempt may have hit the execution's deadline before the deadline timer ran.
    if (!target.compensation && run.deadline() && std::chrono::steady_clock::now() >= *run.deadline())
      run.timed_out = true;
    const auto& policy = run.action(target).retry;
    const bool stopping = !target.compensation && ending(run);
    if (!stopping && should_retry(policy, error, state.attempts - state.attempt_base)) {
      std::lock_guard rng_lock(rng_mutex_);
      retry_in = retry_delay(policy, state.attempts - state.attempt_base, rng_);
      if (error.code == "circuit_open" && error.details.is_object()) {
        if (const auto* after = error.details.as_object().if_contains("retry_after_ms"); after && after->is_int64())
          retry_in = std::max(*retry_in, Millis{after->get_int64()});
      }
      state.phase = StepPhase::Retrying;
      spdlog::warn("{} attempt {} failed ({}: {}); retrying in {}ms", id, state.attempts, error.code,
                   error.message, retry_in->count());
    } else {
      spdlog::error("{} failed after attempt {}: {}: {}", id, state.attempts, error.code, error.message);
      fail_action(run, target, error);
    }
  }
  write_rows(run, target, checkpoint, retry_in);
  return retry_in;
}

void Engine::Impl::dispatch(const RunPtr& run, const std::vector<AttemptTarget>& targets) {
  bool first = true;
  for (const auto target : targets) {
    auto task = [this, run, target](WorkerContext& context) { run_attempt(run, target, context); };
    // The first one continues on this worker; parallel branches go to the others.
    if (first) {
      pool_->post_next(std::move(task));
    } else {
      pool_->post(std::move(task));
    }
    first = false;
  }
}

void Engine::Impl::retire(const ExecutionRun& run) {
  {
    std::lock_guard lock(active_mutex_);
    active_.erase(run.record().id);
    active_changed();
  }
  // A finished run frees a concurrency slot; pending ones may be admitted now.
  const bool frees_slot = run.definition().concurrency.has_value();
  if (frees_slot) admission_due_ = true;
  // Wake the dispatcher only when it has something to do: claims held back
  // for lack of room, or an admission. Waking it for nothing costs round trips.
  if (claims_wait_for_room_ || frees_slot) wake_dispatcher();
}

void Engine::Impl::schedule_retry(const RunPtr& run, AttemptTarget target, Millis delay) {
  if (draining_) return;  // the next owner resumes it from the stored next_attempt_at
  timers_->schedule(std::chrono::steady_clock::now() + delay, [this, run, target] {
    pool_->post([this, run, target](WorkerContext& context) { start_retry(run, target, context); });
  });
}

void Engine::Impl::settle_and_commit(const RunPtr& run, WorkerContext& context,
                                     store::Checkpoint checkpoint,
                                     const Retries& retries) {
  std::vector<AttemptTarget> to_run;
  advance(*run, context.vm(), checkpoint, to_run);
  settle(*run, context.vm(), checkpoint, to_run);
  if (checkpoint.steps.empty() && checkpoint.compensations.empty() && checkpoint.attempts.empty() &&
      !checkpoint.finish && !checkpoint.status) {
    for (const auto& [target, delay] : retries) schedule_retry(run, target, delay);
    return;
  }
  commit(run, context, QueuedWrite{std::move(checkpoint), retries, std::move(to_run)});
}

void Engine::Impl::schedule_wake_ups(const RunPtr& run) {
  // A wait or sleep that ends while the run is still here (other branches
  // busy) is noticed by a timer; an idle run parks instead.
  for (std::size_t i = 0; i < run->steps().size(); ++i) {
    const auto& state = run->steps()[i].forward;
    if (!run->is_waiting(i) || !state.wake_at) continue;
    timers_->schedule(*state.wake_at, [this, run] {
      pool_->post([this, run](WorkerContext& context) { wake_up(run, context); });
    });
  }
}

void Engine::Impl::resume(const RunPtr& run, WorkerContext& context) {
  const std::lock_guard lock(run->mutex);
  LogScope log_scope(log_context(*run));
  if (run->done_here()) return;
  store::Checkpoint checkpoint;
  Retries retries;
  const auto now = now_millis();
  if (run->deadline() && std::chrono::steady_clock::now() >= *run->deadline()) run->timed_out = true;
  for (std::size_t i = 0; i < run->steps().size(); ++i) {
    for (const bool compensation : {false, true}) {
      const AttemptTarget target{i, compensation};
      auto& state = run->state(target);
      if (state.phase == StepPhase::Failed) {
        fail_action(*run, target, StepError::from_json(state.error));
      } else if (state.interrupted) {
        // The previous owner died mid-attempt: that attempt counts, as a failure.
        state.interrupted = false;
        const StepOutcome lost = StepOutcome::failure(
            StepError{"host_lost", "the host running this attempt stopped before it finished", true, nullptr});
        if (const auto delay = apply_outcome(*run, target, lost, now, now, checkpoint))
          retries.emplace_back(target, *delay);
      } else if (state.phase == StepPhase::Retrying) {
        const auto due = state.next_attempt_at.value_or(run->record().db_now);
        retries.emplace_back(target, Millis{std::max<std::int64_t>(0, due - run->record().db_now)});
      }
    }
  }
  check_waits(*run, checkpoint);
  if (run->deadline() && !run->timed_out) {
    timers_->schedule(*run->deadline(), [this, run] {
      pool_->post([this, run](WorkerContext& worker) { on_deadline(run, worker); });
    });
  }
  settle_and_commit(run, context, std::move(checkpoint), retries);
}

const store::Checkpoint* Engine::Impl::plan_start(store::ClaimedExecution record, lua::Vm& vm,
                                                  std::deque<StartedRun>& started, store::Store* store) {
  std::string error;
  auto definition = definition_for(record.workflow, record.content_hash, store, error);
  if (!definition) {
    // A version neither loaded here nor stored: the execution fails visibly
    // and no run is started here.
    started.push_back({nullptr, without_definition(record.id, error), {}});
    return &started.back().checkpoint;
  }
  auto* workflow_metrics = metrics_.workflow(definition);
  auto& start = started.emplace_back(
      StartedRun{std::make_shared<ExecutionRun>(std::move(record), std::move(definition), host_id_), {}, {}});
  start.run->metrics = workflow_metrics;
  {
    std::lock_guard lock(start.run->mutex);
    LogScope log_scope(log_context(*start.run));
    advance(*start.run, vm, start.checkpoint, start.to_run);
    settle(*start.run, vm, start.checkpoint, start.to_run);
  }
  const auto& checkpoint = start.checkpoint;
  if (checkpoint.steps.empty() && checkpoint.compensations.empty() && checkpoint.attempts.empty() &&
      !checkpoint.finish && !checkpoint.status)
    return nullptr;
  return &checkpoint;
}

void Engine::Impl::launch(StartedRun& started) {
  const auto& run = started.run;
  if (!run) return;  // failed for want of its definition: nothing runs
  {
    std::lock_guard lock(active_mutex_);
    active_[run->record().id] = run;
    active_changed();
  }
  if (run->metrics) run->metrics->started();
  std::lock_guard lock(run->mutex);
  LogScope log_scope(log_context(*run));
  const bool parked = started.checkpoint.park.has_value();
  finish_commit(run, started.checkpoint);
  if (run->finished || run->abandoned) return;
  if (run->deadline()) {
    timers_->schedule(*run->deadline(), [this, run] {
      pool_->post([this, run](WorkerContext& worker) { on_deadline(run, worker); });
    });
  }
  dispatch(run, started.to_run);
  if (!parked) schedule_wake_ups(run);
}

void Engine::Impl::run_attempt(const RunPtr& run, AttemptTarget target, WorkerContext& context) {
  ActionState state;
  Json steps_scope;
  std::optional<StepOutcome> outcome;
  {
    std::lock_guard lock(run->mutex);
    if (run->done_here()) return;
    state = run->state(target);
    steps_scope = run->steps_scope();
    // Started by a checkpoint that committed after a cancel or the deadline
    // interrupted the running attempts: this one would be interrupted too,
    // and a plugin or SQL action could not be.
    if (!target.compensation && run->cancel) {
      const char* code = run->timed_out && !run->cancelled ? "timeout" : "cancelled";
      outcome = StepOutcome::failure(
          StepError{code, "the execution was interrupted before this attempt started", false, nullptr});
    }
  }
  const auto& action = run->action(target);
  LogScope log_scope(log_context(*run, run->attempt_id(target)));
  const auto started = now_millis();
  const auto began = std::chrono::steady_clock::now();  // finer than `started`, for the duration metric

  // A transactional action's SQL and its checkpoint share one transaction.
  const bool is_action = target.compensation ||
                         run->steps()[target.index].definition->kind == definitions::StepKind::Action;
  std::unique_ptr<store::StepTransaction> transaction;
  std::optional<TransactionDatabase> database;
  std::optional<HeldLock> held_lock;
  // The lock comes first: waiting for it must not hold a transaction open.
  if (!outcome && is_action && action.lock) outcome = take_lock(*run, target, steps_scope, context, held_lock);
  if (!outcome && is_action && action.transaction) {
    try {
      transaction = std::make_unique<store::StepTransaction>(
          context.attempt_store(), isolation_of(action.transaction->isolation), action.transaction->statement_timeout,
          options_.slow_query);
      transaction->describe_connection(context.borrow_info());
      database.emplace(*transaction);
    } catch (const store::SqlError& error) {
      context.reset_store();
      outcome = StepOutcome::failure(error.error());
    } catch (const store::PoolTimeout& error) {
      outcome = StepOutcome::failure(pool_timeout(error));
    } catch (const store::StoreError& error) {
      context.reset_store();
      outcome = StepOutcome::failure(StepError{"connection", error.what(), true, nullptr});
    }
  }
  std::vector<Json> outbox;
  const Json lock_json = held_lock ? held_lock->as_json() : Json(nullptr);
  if (!outcome) {
    outcome = guarded_attempt(*run, target, state, steps_scope, context, database ? &*database : nullptr,
                              &outbox, &lock_json);
  }
  const auto finished = now_millis();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();

  std::unique_lock lock(run->mutex);
  if (run->done_here()) return;
  if (run->metrics) run->metrics->attempt_duration(target.index, target.compensation, seconds);
  if (transaction && outcome->ok()) {
    commit_transactional(run, target, *outcome, started, finished, std::move(transaction), outbox, held_lock, lock,
                         context);
    release_lock(context, held_lock);  // still held only if the commit did not happen
    return;
  }
  const Json transaction_info = transaction ? transaction->stats("rollback") : Json(nullptr);
  transaction.reset();  // a failed transactional attempt leaves nothing behind
  const Json lock_info =
      held_lock ? JsonObject{{"lock", held_lock->as_json()}, {"lock_wait_ms", held_lock->waited_ms}} : Json(nullptr);
  release_lock(context, held_lock);
  // A statement that lost the connection leaves this worker's session unusable.
  if (!outcome->ok() && outcome->error().code == "connection") context.reset_store();
  store::Checkpoint checkpoint;
  Retries retries;
  const auto delay = apply_outcome(*run, target, *outcome, started, finished, checkpoint);
  if (delay) retries.emplace_back(target, *delay);
  count_attempt(*run, target, *outcome, delay);
  trace_attempt(*run, target, *outcome, delay.has_value(), started, finished,
                lock_info.is_null() ? std::nullopt : std::optional<std::int64_t>(lock_info.at("lock_wait_ms").to_number<std::int64_t>()));
  if (!lock_info.is_null() || !transaction_info.is_null()) {
    JsonObject info = lock_info.is_null() ? JsonObject{} : lock_info.as_object();
    if (!transaction_info.is_null()) info["transaction"] = transaction_info;
    checkpoint.attempts.back().info = std::move(info);
  }
  if (outcome->ok()) add_emitted(*run, target, state.attempts, outbox, checkpoint);
  settle_and_commit(run, context, std::move(checkpoint), retries);
}

std::optional<StepOutcome> Engine::Impl::take_lock(ExecutionRun& run, AttemptTarget target,
                                                   const Json& steps_scope, WorkerContext& context,
                                                   std::optional<HeldLock>& held) {
  const auto& spec = *run.action(target).lock;
  const Json execution = run.execution_scope();
  auto key = evaluate_template(spec.key, scope_of(run, steps_scope, execution), context.vm());
  if (!key.ok()) return StepOutcome::failure(expression_error("lock key", key.error()));
  if (!key.output().is_string() || key.output().get_string().empty()) {
    return StepOutcome::failure(StepError{
        "lock_key", "the lock key evaluated to " + to_json_text(key.output()) + "; it must be a non-empty string",
        false, nullptr});
  }
  const std::string name(key.output().get_string());
  const std::string holder = run.record().id + ":" + run.attempt_id(target);
  const auto started = std::chrono::steady_clock::now();
  auto pause = Millis{10};
  bool waiting = false;
  try {
    for (;;) {
      if (const auto token = context.attempt_store().try_lock(name, holder, spec.ttl)) {
        held = HeldLock{name, *token,
                        std::chrono::duration_cast<Millis>(std::chrono::steady_clock::now() - started).count()};
        if (metrics_.lock_wait) metrics_.lock_wait->observe(EngineMetrics::seconds_since(started));
        return std::nullopt;
      }
      if (!waiting && run.metrics) run.metrics->lock_waited(target.index, target.compensation);
      waiting = true;
      const auto waited = std::chrono::steady_clock::now() - started;
      if (waited >= spec.wait || run.cancel) {
        if (metrics_.lock_wait) metrics_.lock_wait->observe(EngineMetrics::seconds_since(started));
        return StepOutcome::failure(StepError{
            run.cancel ? "cancelled" : "lock_timeout",
            "waited " + format_duration(std::chrono::duration_cast<Millis>(waited)) + " for lock '" + name + "'",
            true, JsonObject{{"lock", name}}});
      }
      std::this_thread::sleep_for(std::min<Millis>(pause, std::chrono::duration_cast<Millis>(spec.wait - waited)));
      pause = std::min(pause * 2, Millis{250});
    }
  } catch (const store::PoolTimeout& error) {
    return StepOutcome::failure(pool_timeout(error));
  } catch (const store::StoreError& error) {
    context.reset_store();
    return StepOutcome::failure(StepError{"connection", error.what(), true, nullptr});
  }
}

void Engine::Impl::release_lock(WorkerContext& context, std::optional<HeldLock>& held) {
  if (!held) return;
  try {
    context.store().unlock(held->key, held->token);
  } catch (const std::exception& error) {
    context.reset_store();
    spdlog::warn("could not release lock '{}' ({}); it expires at its ttl", held->key, error.what());
  }
  held.reset();
}

void Engine::Impl::add_emitted(const ExecutionRun& run, AttemptTarget target, int attempt,
                               const std::vector<Json>& outbox, store::Checkpoint& checkpoint) {
  const auto& record = run.record();
  for (std::size_t i = 0; i < outbox.size(); ++i) {
    const auto& emitted = outbox[i].as_object();
    JsonObject document{{"specversion", "1.0"},
                        {"id", record.id + "/" + run.attempt_id(target) + "/" + std::to_string(attempt) +
                                   "/" + std::to_string(i + 1)},
                        {"source", "weft/" + record.workflow},
                        {"type", emitted.at("type")},
                        {"traceid", record.trace_id},
                        {"data", emitted.at("data")}};
    // The trace follows the follow-up event into whatever it starts.
    auto parsed = routing::parse_event(document);
    if (!parsed.event) {
      spdlog::error("{} emitted an invalid event ({}); dropped", run.attempt_id(target), parsed.error);
      continue;
    }
    const auto& event = *parsed.event;
    checkpoint.events.push_back({event.source, event.id, event.type, event.trace_id, event.document});
  }
}

StepOutcome Engine::Impl::guarded_attempt(ExecutionRun& run, AttemptTarget target, const ActionState& state,
                                          const Json& steps_scope, WorkerContext& context,
                                          lua::Database* database, std::vector<Json>* outbox,
                                          const Json* lock) {
  const auto& step = *run.steps()[target.index].definition;
  const auto run_it = [&] {
    return run_attempt_of(run, target, state, steps_scope, context.vm(), options_.lua_memory_limit_bytes,
                          database, outbox, lock, options_.plugins.get());
  };
  if (target.compensation || !step.circuit_breaker) return run_it();
  const auto& action = step.action;
  const std::string key = action.kind == definitions::ActionKind::Plugin
                              ? "plugin:" + action.plugin + "." + action.plugin_action
                              : "lua:" + run.record().workflow + "/" + action.script;
  auto& breaker = breakers_.for_action(key, *step.circuit_breaker);
  const auto permit = breaker.acquire();
  if (!permit.allowed) {
    return StepOutcome::failure(StepError{
        "circuit_open",
        "the circuit for " + key + " is " + std::string(breaker.state_name()) + "; failing fast for " +
            std::to_string(permit.retry_after.count()) + "ms",
        true,
        JsonObject{{"circuit", key},
                   {"state", breaker.state_name()},
                   {"retry_after_ms", permit.retry_after.count()}}});
  }
  auto outcome = run_it();
  const auto& code = outcome.ok() ? std::string() : outcome.error().code;
  // An attempt we interrupted ourselves says nothing about the action's health.
  if (code == "cancelled" || code == "host_shutdown") {
    breaker.release(permit.probe);
  } else {
    breaker.record(outcome.ok(), permit.probe);
  }
  return outcome;
}

void Engine::Impl::commit_transactional(const RunPtr& run, AttemptTarget target,
                                        const StepOutcome& outcome, store::EpochMillis started,
                                        store::EpochMillis finished,
                                        std::unique_ptr<store::StepTransaction> transaction,
                                        const std::vector<Json>& outbox, std::optional<HeldLock>& lock,
                                        std::unique_lock<std::mutex>& run_lock, WorkerContext& context) {
  const auto queued_at = std::chrono::steady_clock::now();
  const auto lock_wait = lock ? std::optional<std::int64_t>(lock->waited_ms) : std::nullopt;
  // A checkpoint of a parallel branch may still be on its way: the run's
  // checkpoints commit in order, and this one travels with the step's COMMIT.
  run->writing_ended.wait(run_lock, [&] { return !run->writing; });
  if (run->done_here()) return;  // the transaction rolls back as it is dropped
  // Everything that follows from the outcome goes into the step's own
  // transaction; if that fails before COMMIT, the run is restored and the
  // attempt is recorded as failed instead.
  const auto saved_steps = run->steps();
  const auto saved_failure = run->failure;
  const auto saved_compensation_failure = run->compensation_failure;
  const auto saved_compensating = run->compensating;
  store::Checkpoint checkpoint;
  apply_outcome(*run, target, outcome, started, finished, checkpoint);
  add_emitted(*run, target, run->state(target).attempts, outbox, checkpoint);
  {
    // Visible only if this commit succeeds, so "commit" is the truth when anyone reads it.
    JsonObject info{{"transaction", transaction->stats("commit")}};
    if (lock) {
      info["lock"] = lock->as_json();
      info["lock_wait_ms"] = lock->waited_ms;
    }
    checkpoint.attempts.back().info = std::move(info);
  }
  std::vector<AttemptTarget> to_run;
  advance(*run, context.vm(), checkpoint, to_run);
  settle(*run, context.vm(), checkpoint, to_run);
  try {
    if (lock) transaction->unlock(lock->key, lock->token);  // released by the same commit
    // The checkpoint and COMMIT travel together: the outcome is known only
    // when both are answered.
    if (transaction->commit(run->lease(), checkpoint) == store::StepTransaction::Committed::FencedOut) {
      transaction.reset();  // roll back the effects: the execution is not ours
      spdlog::warn("execution {} now belongs to another host (fenced out); rolled back {}",
                   run->record().id, run->attempt_id(target));
      run->abandoned = true;
      run->cancel = true;
      retire(*run);
      return;
    }
    lock.reset();
  } catch (const store::SqlError& error) {
    // A COMMIT the server refused (serializable conflicts are often found only
    // then) rolled everything back: that is a failed attempt like any other.
    // A commit whose answer was lost with the connection is in doubt.
    if (error.error().code == "connection") {
      // The outcome is unknown. Whoever claims the execution next reads what
      // the database has (the checkpoint commits with the effects or not at all).
      spdlog::error("commit of {} in execution {} is in doubt: {}; handing it back",
                    run->attempt_id(target), run->record().id, error.what());
      // Ended before the connection it runs on is replaced: ending it afterwards
      // touched a freed connection (a crash found by the PostgreSQL-kill test).
      transaction.reset();
      abandon_in_doubt(run, context);
      return;
    }
    transaction.reset();
    release_lock(context, lock);
    run->steps() = saved_steps;
    run->failure = saved_failure;
    run->compensation_failure = saved_compensation_failure;
    run->compensating = saved_compensating;
    store::Checkpoint failed;
    Retries retries;
    const auto refused = StepOutcome::failure(error.error());
    const auto delay = apply_outcome(*run, target, refused, started, finished, failed);
    if (delay) retries.emplace_back(target, *delay);
    count_attempt(*run, target, refused, delay);
    trace_attempt(*run, target, refused, delay.has_value(), started, finished, lock_wait);
    settle_and_commit(run, context, std::move(failed), retries);
    return;
  }
  if (metrics_.checkpoint_duration) metrics_.checkpoint_duration->observe(EngineMetrics::seconds_since(queued_at));
  count_attempt(*run, target, outcome, std::nullopt);
  trace_attempt(*run, target, outcome, false, started, finished, lock_wait);
  finish_commit(run, checkpoint);
  dispatch(run, to_run);
}

void Engine::Impl::trace_attempt(const ExecutionRun& run, AttemptTarget target, const StepOutcome& outcome,
                                 bool retrying, store::EpochMillis started, store::EpochMillis finished,
                                 std::optional<std::int64_t> lock_wait_ms) const {
  if (!options_.spans) return;
  report_attempt(*options_.spans, run, target, run.state(target).attempts, outcome, retrying, started, finished,
                 lock_wait_ms);
}

void Engine::Impl::start_retry(const RunPtr& run, AttemptTarget target, WorkerContext& context) {
  const std::lock_guard lock(run->mutex);
  LogScope log_scope(log_context(*run, run->attempt_id(target)));
  if (run->done_here() || draining_) return;
  auto& state = run->state(target);
  if (state.phase != StepPhase::Retrying) return;
  if (!target.compensation && ending(*run)) {
    // The execution is ending: no new forward attempt; settle decides what is next.
    settle_and_commit(run, context, {}, {});
    return;
  }
  state.phase = StepPhase::Running;
  state.attempts += 1;
  store::Checkpoint checkpoint;
  write_rows(*run, target, checkpoint, std::nullopt);
  commit(run, context, QueuedWrite{std::move(checkpoint), {}, {target}});
}

void Engine::Impl::on_deadline(const RunPtr& run, WorkerContext& context) {
  const std::lock_guard lock(run->mutex);
  LogScope log_scope(log_context(*run));
  if (run->done_here() || run->timed_out) return;
  run->timed_out = true;
  if (!run->compensating) run->cancel = true;  // running forward attempts stop at their next hook check
  settle_and_commit(run, context, {}, {});
}

void Engine::Impl::on_cancel(const RunPtr& run, WorkerContext& context) {
  const std::lock_guard lock(run->mutex);
  LogScope log_scope(log_context(*run));
  if (run->done_here() || run->cancelled) return;
  spdlog::warn("execution {} cancel requested", run->record().id);
  run->cancelled = true;
  if (!run->compensating) run->cancel = true;
  settle_and_commit(run, context, {}, {});
}

}  // namespace weft::engine
