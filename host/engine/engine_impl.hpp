// Internals of Engine, shared by engine.cpp (threads, claiming, routing) and
// orchestrator.cpp (what happens to one execution's steps).
#pragma once

#include "engine/engine.hpp"
#include "engine/execution_run.hpp"
#include "engine/timer_queue.hpp"
#include "engine/worker_pool.hpp"
#include "routing/router.hpp"
#include "store/store.hpp"

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <random>
#include <thread>
#include <unordered_map>

namespace weft::engine {

using RunPtr = std::shared_ptr<ExecutionRun>;

class Engine::Impl {
 public:
  Impl(EngineOptions options, std::vector<definitions::DefinitionPtr> definitions);
  ~Impl();

  void start();
  void request_stop();
  bool wait();

  EngineOptions options_;
  std::string host_id_;

  // --- engine.cpp: threads, claiming, routing ------------------------------
  void dispatch_loop();
  void heartbeat_loop();
  void claim_batch(store::Store& store);
  void sweep_orphans(store::Store& store);
  std::vector<store::NewExecution> route(const store::EventRecord& event, lua::Vm& vm);
  definitions::DefinitionPtr definition_for(const std::string& workflow, const std::string& hash,
                                            store::Store& store, std::string& error);
  void wake_dispatcher();
  void drain_and_release();

  // --- orchestrator.cpp: one execution's steps -----------------------------
  void resume(const RunPtr& run, WorkerContext& context);
  void run_attempt(const RunPtr& run, std::size_t index, WorkerContext& context);
  void start_retry(const RunPtr& run, std::size_t index, WorkerContext& context);
  void on_deadline(const RunPtr& run, WorkerContext& context);
  void advance(ExecutionRun& run, lua::Vm& vm, std::vector<store::StepWrite>& writes,
               std::vector<std::size_t>& to_run);
  std::optional<store::Checkpoint::Finish> finish_if_done(ExecutionRun& run);
  void fail_step(ExecutionRun& run, std::size_t index, const StepError& error);
  /// Records an attempt's outcome in the run and the checkpoint; the retry delay if it will retry.
  std::optional<Millis> apply_outcome(ExecutionRun& run, std::size_t index, const StepOutcome& outcome,
                                      store::EpochMillis started, store::EpochMillis finished,
                                      store::Checkpoint& checkpoint);
  /// After a successful write: a finishing checkpoint ends the run here.
  void finish_commit(const RunPtr& run, const store::Checkpoint& checkpoint);
  void schedule_retry(const RunPtr& run, std::size_t index, Millis delay);
  /// Writes the checkpoint; on success marks a finished run done. False when the
  /// run is no longer ours (it is then dropped and, when in doubt, handed back).
  bool commit(const RunPtr& run, WorkerContext& context, store::Checkpoint checkpoint);
  void dispatch(const RunPtr& run, const std::vector<std::size_t>& indexes);
  void retire(const ExecutionRun& run);

  // --- shared state --------------------------------------------------------
  std::mutex definitions_mutex_;
  std::map<std::pair<std::string, std::string>, definitions::DefinitionPtr> definitions_;
  std::shared_ptr<const routing::Router> router_;

  std::mutex active_mutex_;
  std::unordered_map<std::string, RunPtr> active_;

  std::unique_ptr<WorkerPool> pool_;
  std::unique_ptr<TimerQueue> timers_;
  std::thread dispatcher_;
  std::thread heartbeat_;
  int wake_fd_ = -1;

  std::atomic<bool> stopping_{false};
  std::atomic<bool> draining_{false};
  std::atomic<bool> lease_lost_{false};
  std::atomic<bool> heartbeat_done_{false};
  std::mutex stop_mutex_;
  std::condition_variable stop_changed_;

  std::mutex rng_mutex_;
  std::mt19937_64 rng_{std::random_device{}()};
};

}  // namespace weft::engine
