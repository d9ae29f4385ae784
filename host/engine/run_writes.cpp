// How a run's checkpoints are written: queued on the run (one in flight, the
// rest in order), handed to group commit once the task that made one holds no
// lock, and, once durable, followed by what they start. A worker never waits
// for a plain checkpoint (issue 6).
#include "common/log.hpp"
#include "engine/engine_impl.hpp"
#include "engine/engine_spans.hpp"

#include <spdlog/spdlog.h>

namespace weft::engine {

void Engine::Impl::commit(const RunPtr& run, WorkerContext& context, QueuedWrite write) {
  if (write.checkpoint.finish || write.checkpoint.park) run->closing = true;
  if (run->writing) {
    run->queued_writes.push_back(std::move(write));
    return;
  }
  run->writing = true;
  auto queued = std::make_shared<QueuedWrite>(std::move(write));
  context.after_task([this, run, queued] { send(run, std::move(*queued)); });
}

void Engine::Impl::send(const RunPtr& run, QueuedWrite write) {
  checkpoints_->submit(run->lease(), std::move(write.checkpoint),
                       [this, run, retries = std::move(write.retries), to_run = std::move(write.to_run),
                        queued_at = write.queued_at](const store::Checkpoint& checkpoint,
                                                     const store::GroupCommit::Outcome& outcome) {
                         written(run, checkpoint, outcome, retries, to_run, queued_at);
                       });
}

void Engine::Impl::written(const RunPtr& run, const store::Checkpoint& checkpoint,
                           const store::GroupCommit::Outcome& outcome, const Retries& retries,
                           const std::vector<AttemptTarget>& to_run,
                           std::chrono::steady_clock::time_point queued_at) {
  if (outcome.written && metrics_.checkpoint_duration)
    metrics_.checkpoint_duration->observe(EngineMetrics::seconds_since(queued_at));
  std::lock_guard lock(run->mutex);
  LogScope log_scope(log_context(*run));
  if (outcome.failure) {
    // In doubt: the write may or may not have committed. Hand the execution
    // back; whoever claims it next continues from what the database says.
    try {
      std::rethrow_exception(outcome.failure);
    } catch (const std::exception& error) {
      spdlog::error("checkpoint of execution {} failed: {}; handing it back", run->record().id, error.what());
    }
    if (!run->abandoned) {
      run->abandoned = true;
      run->cancel = true;
      retire(*run);
      pool_->post([this, run](WorkerContext& context) { hand_back(run, context); });
    }
  } else if (!outcome.written) {
    if (!run->abandoned) {
      spdlog::warn("execution {} now belongs to another host (fenced out); dropping it here", run->record().id);
      run->abandoned = true;
      run->cancel = true;
      retire(*run);
    }
  } else if (!run->abandoned) {
    const bool parked = checkpoint.park.has_value();
    finish_commit(run, checkpoint);
    for (const auto& [target, delay] : retries) schedule_retry(run, target, delay);
    dispatch(run, to_run);
    if (!parked) schedule_wake_ups(run);
    if (!run->queued_writes.empty()) {
      auto next = std::move(run->queued_writes.front());
      run->queued_writes.pop_front();
      send(run, std::move(next));  // from a completion: only queued, never written here under this lock
      return;
    }
  }
  run->queued_writes.clear();  // after a failure they are moot: the run is not ours
  run->writing = false;
  run->writing_ended.notify_all();
}

void Engine::Impl::abandon_in_doubt(const RunPtr& run, WorkerContext& context) {
  run->abandoned = true;
  run->cancel = true;
  context.reset_store();
  hand_back(run, context);
  retire(*run);
}

void Engine::Impl::hand_back(const RunPtr& run, WorkerContext& context) {
  try {
    context.store().release(run->lease());
  } catch (const std::exception& error) {
    // The orphan sweep or the lease expiry hands it back later.
    spdlog::error("could not hand back execution {}: {}", run->record().id, error.what());
  }
}

void Engine::Impl::finish_commit(const RunPtr& run, const store::Checkpoint& checkpoint) {
  if (checkpoint.park) {
    // Parked: the database holds it now; a timer or a signal brings it back to some host.
    spdlog::debug("execution {} is waiting (wakes in {}ms at the latest)", run->record().id,
                  checkpoint.park->wake_in_ms);
    run->abandoned = true;
    retire(*run);
    wake_dispatcher();  // its wake-up time may be the next thing to claim
    return;
  }
  if (!checkpoint.finish) return;
  run->finished = true;
  const auto& finish = *checkpoint.finish;
  if (run->metrics) run->metrics->finished(finish.status);
  if (options_.spans) report_execution(*options_.spans, *run, finish);
  if (finish.status == store::execution_status::kCompleted) {
    spdlog::info("execution {} of {} v{} completed", run->record().id, run->record().workflow,
                 run->record().version);
  } else {
    spdlog::warn("execution {} of {} v{} {}: {}", run->record().id, run->record().workflow,
                 run->record().version, finish.status, to_json_text(finish.error));
  }
  retire(*run);
}

}  // namespace weft::engine
