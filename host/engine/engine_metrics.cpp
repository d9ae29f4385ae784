#include "engine/engine_metrics.hpp"

#include <algorithm>

namespace weft::engine {
namespace {

// Attempts run from a millisecond (Lua arithmetic) to a minute (a slow plugin call).
const std::vector<double> kStepBuckets = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                          0.25,  0.5,    1,     5,    15,    60};
// A group commit takes about one WAL flush; a backlog or a slow disk shows as the tail.
const std::vector<double> kCheckpointBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                0.05,   0.1,   0.25,   0.5,   1,    5};
// Most borrows do not wait (0 s, the first bucket); the default acquire timeout is 5 s.
const std::vector<double> kPoolWaitBuckets = {0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10};
// Locks are polled with backoff from 10 ms to 250 ms, for up to their `wait`.
const std::vector<double> kLockWaitBuckets = {0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};

constexpr std::array<std::string_view, 3> kOutcomes = {"completed", "retrying", "failed"};

}  // namespace

WorkflowMetrics::Step::Step(EngineMetrics& families, const std::string& workflow, const std::string& step)
    : attempts{LazySeries<metrics::Counter>(*families.attempts, {workflow, step, std::string(kOutcomes[0])}),
               LazySeries<metrics::Counter>(*families.attempts, {workflow, step, std::string(kOutcomes[1])}),
               LazySeries<metrics::Counter>(*families.attempts, {workflow, step, std::string(kOutcomes[2])})},
      duration(*families.step_duration, {workflow, step}),
      lock_waits(*families.lock_waits, {workflow, step}) {}

WorkflowMetrics::WorkflowMetrics(EngineMetrics& families, const definitions::Definition& definition)
    : started_(*families.started, {definition.id}) {
  for (std::size_t i = 0; i < finished_.size(); ++i) {
    finished_[i] = std::make_unique<LazySeries<metrics::Counter>>(
        *families.finished, std::vector<std::string>{definition.id, std::string(EngineMetrics::kFinishStatuses[i])});
  }
  for (const auto& step : definition.steps) {
    steps_.push_back(std::make_unique<Step>(families, definition.id, step.id));
    compensations_.push_back(step.compensate ? std::make_unique<Step>(families, definition.id, "compensate:" + step.id)
                                             : nullptr);
  }
}

void WorkflowMetrics::finished(std::string_view status) {
  const auto& statuses = EngineMetrics::kFinishStatuses;
  const auto it = std::find(statuses.begin(), statuses.end(), status);
  if (it != statuses.end()) finished_[static_cast<std::size_t>(it - statuses.begin())]->get().inc();
}

EngineMetrics::EngineMetrics(metrics::Registry* registry) : registry_(registry) {
  if (!registry_) return;
  auto& r = *registry_;
  events_routed = &r.counter("weft_events_routed_total", "Events this host routed to workflows.").labels();
  started = &r.counter("weft_executions_started_total", "Executions this host started.", {"workflow"});
  finished = &r.counter("weft_executions_finished_total",
                        "Executions that ended on this host, by final status "
                        "(completed, compensated, failed, cancelled, timed_out).",
                        {"workflow", "status"});
  attempts = &r.counter("weft_step_attempts_total",
                        "Step attempts run on this host, by outcome: completed; retrying (failed, will be retried); "
                        "failed (failed, and the step with it).",
                        {"workflow", "step", "outcome"});
  step_duration = &r.histogram("weft_step_duration_seconds", "Duration of step attempts on this host.",
                               {"workflow", "step"}, kStepBuckets);
  checkpoint_duration =
      &r.histogram("weft_checkpoint_duration_seconds",
                   "Time from queueing a checkpoint to its durable commit.", {}, kCheckpointBuckets)
           .labels();
  auto& connections = r.gauge("weft_db_pool_connections",
                              "Connections of the workers' database pool, in use or idle.", {"state"});
  pool_in_use = &connections.labels({"in_use"});
  pool_idle = &connections.labels({"idle"});
  pool_size = &r.gauge("weft_db_pool_size", "Size of the workers' database connection pool.").labels();
  pool_wait = &r.histogram("weft_db_pool_wait_seconds",
                           "Time a worker waited to borrow a database connection (0 when one was free).", {},
                           kPoolWaitBuckets)
                   .labels();
  pool_timeouts = &r.counter("weft_db_pool_timeouts_total",
                             "Borrows that gave up because every pooled connection stayed in use.")
                       .labels();
  lock_waits = &r.counter("weft_lock_waits_total", "Named-lock acquisitions that found the lock held and waited.",
                          {"workflow", "step"});
  lock_wait = &r.histogram("weft_lock_wait_seconds", "Time taken to take a named lock (or to give up on it).", {},
                           kLockWaitBuckets)
                   .labels();
  breaker_state = &r.gauge("weft_circuit_breaker_state",
                           "Circuit breaker state per action: 0 closed, 1 half-open, 2 open.", {"action"});
  active_executions = &r.gauge("weft_active_executions", "Executions held by this host.").labels();
}

WorkflowMetrics* EngineMetrics::workflow(const definitions::DefinitionPtr& definition) {
  if (!registry_ || !definition) return nullptr;
  std::lock_guard lock(mutex_);
  auto& slot = workflows_[definition];
  if (!slot) slot = std::make_unique<WorkflowMetrics>(*this, *definition);
  return slot.get();
}

}  // namespace weft::engine
