// Internals of Engine, shared by engine.cpp (threads, claiming, routing),
// orchestrator.cpp (what happens to one execution's steps) and run_writes.cpp
// (how a run's checkpoints are written).
#pragma once

#include "common/log.hpp"
#include "engine/circuit_breaker.hpp"
#include "engine/engine.hpp"
#include "engine/engine_metrics.hpp"
#include "engine/execution_run.hpp"
#include "engine/timer_queue.hpp"
#include "engine/worker_pool.hpp"
#include "routing/router.hpp"
#include "store/connection_pool.hpp"
#include "store/group_commit.hpp"
#include "store/step_transaction.hpp"
#include "store/store.hpp"

#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <random>
#include <thread>
#include <unordered_map>

namespace weft::engine {

using RunPtr = std::shared_ptr<ExecutionRun>;

/// What a run's log lines carry (`step` for an attempt's).
inline LogContext log_context(const ExecutionRun& run, const std::string& step = {}) {
  return LogContext{run.record().trace_id, run.record().id, step};
}

/// A named lock an attempt holds.
struct HeldLock {
  std::string key;
  std::int64_t token = 0;
  std::int64_t waited_ms = 0;
  Json as_json() const { return JsonObject{{"key", key}, {"token", token}}; }
};

class Engine::Impl {
 public:
  Impl(EngineOptions options, std::vector<definitions::DefinitionPtr> definitions);
  ~Impl();

  void start();
  void request_stop();
  bool wait();
  void replace_definitions(std::vector<definitions::DefinitionPtr> definitions);

  EngineOptions options_;
  /// The engine's metric families (all null without EngineOptions::metrics).
  EngineMetrics metrics_;
  /// This host's current identity (it changes when the host rejoins after
  /// losing its lease). Written by the dispatcher thread only.
  std::string host_id_;
  mutable std::mutex host_id_mutex_;
  std::string host_id() const {
    std::lock_guard lock(host_id_mutex_);
    return host_id_;
  }
  EngineStats stats() const;
  /// Refreshes the gauges read from elsewhere (pool, breakers, runs held); at each render.
  void collect_metrics();

  // --- engine.cpp: threads, claiming, routing ------------------------------
  void dispatch_loop();
  void heartbeat_loop();
  /// Logs the connection pool's usage and how many checkpoints shared each
  /// commit since the last report; periodically only when workers had to wait.
  void report_pool_usage(bool always);
  void claim_batch(store::Store& store, lua::Vm& vm);
  /// How many more executions this host may hold.
  int room();
  /// The checkpoint that fails an execution whose pinned definition cannot be loaded.
  static store::Checkpoint without_definition(const std::string& execution_id, const std::string& error);
  /// Runs an execution this host now owns (claimed).
  void adopt(store::ClaimedExecution record, store::Store& store);
  void sweep_orphans(store::Store& store);
  /// Hands cancel requests for executions running here to their runs.
  void forward_cancels(store::Store& store);
  std::vector<store::NewExecution> route(const store::EventRecord& event, lua::Vm& vm);
  /// The pinned version: loaded here, or else read from `store` (if given) and loaded.
  definitions::DefinitionPtr definition_for(const std::string& workflow, const std::string& hash,
                                            store::Store* store, std::string& error);
  void wake_dispatcher();
  void drain_and_release();
  /// After losing the lease: drops every execution held here (another host may
  /// already run them) and registers again under a new identity.
  void rejoin(store::Store& store);

  // --- orchestrator.cpp: one execution's steps -----------------------------
  /// A run taken on while routing, with its first checkpoint and the attempts
  /// that start once that checkpoint has committed (with the routing).
  struct StartedRun {
    RunPtr run;
    store::Checkpoint checkpoint;
    std::vector<AttemptTarget> to_run;
  };
  /// Inside the routing or claiming transaction (dispatcher thread): which
  /// steps a new run starts with; appends the run to `started` (a deque: what
  /// it returns, the checkpoint to write, stays where it is); null when there
  /// is nothing to write. `store` loads a pinned version not loaded here.
  const store::Checkpoint* plan_start(store::ClaimedExecution record, lua::Vm& vm,
                                      std::deque<StartedRun>& started, store::Store* store = nullptr);
  /// After that transaction committed: the run is held here and its first attempts start.
  void launch(StartedRun& started);
  void resume(const RunPtr& run, WorkerContext& context);
  void run_attempt(const RunPtr& run, AttemptTarget target, WorkerContext& context);
  void start_retry(const RunPtr& run, AttemptTarget target, WorkerContext& context);
  void on_deadline(const RunPtr& run, WorkerContext& context);
  void on_cancel(const RunPtr& run, WorkerContext& context);
  void wake_up(const RunPtr& run, WorkerContext& context);
  /// Ends waits whose signal arrived or whose time is up; true if any changed.
  bool check_waits(ExecutionRun& run, store::Checkpoint& checkpoint);
  /// Hands the run back as `waiting` until its earliest wake-up.
  void park(ExecutionRun& run, store::Checkpoint& checkpoint);
  void schedule_wake_ups(const RunPtr& run);
  /// Starts the forward steps that became ready (evaluating `if` and input).
  void advance(ExecutionRun& run, lua::Vm& vm, store::Checkpoint& checkpoint,
               std::vector<AttemptTarget>& to_run);
  /// Once the execution is ending: fails pending retries, starts the next
  /// compensation or writes the finish.
  void settle(ExecutionRun& run, lua::Vm& vm, store::Checkpoint& checkpoint,
              std::vector<AttemptTarget>& to_run);
  void fail_action(ExecutionRun& run, AttemptTarget target, const StepError& error);
  /// Records an attempt's outcome in the run and the checkpoint; the retry delay if it will retry.
  std::optional<Millis> apply_outcome(ExecutionRun& run, AttemptTarget target, const StepOutcome& outcome,
                                      store::EpochMillis started, store::EpochMillis finished,
                                      store::Checkpoint& checkpoint);
  void write_rows(ExecutionRun& run, AttemptTarget target, store::Checkpoint& checkpoint,
                  std::optional<Millis> retry_in);
  /// advance + settle, then one write, then retries and new attempts.
  void settle_and_commit(const RunPtr& run, WorkerContext& context, store::Checkpoint checkpoint,
                         const Retries& retries);
  /// Reports a finished attempt as a span when tracing is on (after apply_outcome).
  void trace_attempt(const ExecutionRun& run, AttemptTarget target, const StepOutcome& outcome, bool retrying,
                     store::EpochMillis started, store::EpochMillis finished,
                     std::optional<std::int64_t> lock_wait_ms) const;
  void commit_transactional(const RunPtr& run, AttemptTarget target, const StepOutcome& outcome,
                            store::EpochMillis started, store::EpochMillis finished,
                            std::unique_ptr<store::StepTransaction> transaction,
                            const std::vector<Json>& outbox, std::optional<HeldLock>& lock,
                            std::unique_lock<std::mutex>& run_lock, WorkerContext& context);
  void schedule_retry(const RunPtr& run, AttemptTarget target, Millis delay);
  /// Runs one attempt through the step's circuit breaker, if it has one.
  StepOutcome guarded_attempt(ExecutionRun& run, AttemptTarget target, const ActionState& state,
                              const Json& steps_scope, WorkerContext& context, lua::Database* database,
                              std::vector<Json>* outbox, const Json* lock);
  /// Takes the action's named lock, waiting up to its `wait`; the failure as a value otherwise.
  std::optional<StepOutcome> take_lock(ExecutionRun& run, AttemptTarget target, const Json& steps_scope,
                                       WorkerContext& context, std::optional<HeldLock>& held);
  void release_lock(WorkerContext& context, std::optional<HeldLock>& held);
  /// The events a successful attempt emitted, as rows of its checkpoint (ids derived
  /// from the attempt, so a repeated checkpoint stores them once).
  void add_emitted(const ExecutionRun& run, AttemptTarget target, int attempt,
                   const std::vector<Json>& outbox, store::Checkpoint& checkpoint);
  void dispatch(const RunPtr& run, const std::vector<AttemptTarget>& targets);
  void retire(const ExecutionRun& run);

  // --- run_writes.cpp: a run's checkpoints ---------------------------------
  /// Under the run's lock: queues the checkpoint behind any of the run's that
  /// is still being written. Its retries and attempts start once it has
  /// committed (`written`); the task's worker hands it to group commit after
  /// the task, when no lock is held.
  void commit(const RunPtr& run, WorkerContext& context, QueuedWrite write);
  /// Hands the run's next checkpoint to group commit.
  void send(const RunPtr& run, QueuedWrite write);
  /// On the thread that wrote it: the checkpoint is durable, fenced out or in
  /// doubt. Starts what follows it, then sends the run's next checkpoint.
  void written(const RunPtr& run, const store::Checkpoint& checkpoint, const store::GroupCommit::Outcome& outcome,
               const Retries& retries, const std::vector<AttemptTarget>& to_run,
               std::chrono::steady_clock::time_point queued_at);
  void abandon_in_doubt(const RunPtr& run, WorkerContext& context);
  /// Gives the execution back to the database: any host may claim it now.
  void hand_back(const RunPtr& run, WorkerContext& context);
  /// After a successful write: a finishing checkpoint ends the run here.
  void finish_commit(const RunPtr& run, const store::Checkpoint& checkpoint);

  // --- shared state --------------------------------------------------------
  std::mutex definitions_mutex_;
  std::map<std::pair<std::string, std::string>, definitions::DefinitionPtr> definitions_;
  /// Swapped whole on reload; each event is routed by one snapshot of it.
  std::atomic<std::shared_ptr<const routing::Router>> router_;

  std::mutex active_mutex_;
  std::unordered_map<std::string, RunPtr> active_;
  /// active_.size(), for readers that must not wait for active_mutex_ (stats, metrics).
  std::atomic<int> active_count_{0};
  /// With active_mutex_ held, after active_ changed.
  void active_changed() { active_count_.store(static_cast<int>(active_.size()), std::memory_order_relaxed); }

  CircuitBreakers breakers_;  // per action, across all executions on this host
  std::unique_ptr<store::ConnectionPool> connections_;  // outlives the workers that borrow from it
  std::unique_ptr<store::GroupCommit> checkpoints_;     // plain checkpoints share commits
  std::unique_ptr<WorkerPool> pool_;
  std::unique_ptr<TimerQueue> timers_;
  std::thread dispatcher_;
  std::thread heartbeat_;
  int wake_fd_ = -1;

  /// The last claim stopped because this host was full: a retiring run wakes the dispatcher.
  std::atomic<bool> claims_wait_for_room_{false};
  /// Pending executions may be admissible (a run with a concurrency key finished, events routed, ...).
  std::atomic<bool> admission_due_{true};
  std::atomic<bool> stopping_{false};
  std::atomic<bool> started_{false};  // start() completed: the pool and the threads exist
  /// When this host last renewed its lease (registration or heartbeat), steady clock; 0: never.
  std::atomic<std::chrono::steady_clock::rep> last_heartbeat_{0};
  void heartbeat_succeeded() {
    last_heartbeat_.store(std::chrono::steady_clock::now().time_since_epoch().count(), std::memory_order_relaxed);
  }
  std::atomic<bool> draining_{false};
  std::atomic<bool> rejoin_needed_{false};
  std::atomic<bool> heartbeat_done_{false};
  std::mutex stop_mutex_;
  std::condition_variable stop_changed_;

  std::mutex rng_mutex_;
  std::mt19937_64 rng_{std::random_device{}()};

  /// Last: removed (waiting for a render that runs it) before anything it reads goes.
  metrics::Collector collector_;
};

}  // namespace weft::engine
