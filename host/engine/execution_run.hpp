// The in-memory state of one execution this host owns: its pinned definition,
// its lease, and where each step (and its compensation) stands. The database
// is the truth; this is rebuilt from it on every claim. Guarded by `mutex`
// (steps of one execution may finish on different worker threads).
#pragma once

#include "definitions/definition.hpp"
#include "store/records.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace weft::engine {

enum class StepPhase : std::uint8_t { Blocked, Running, Retrying, Completed, Skipped, Failed };

/// Where one action (a step's own, or its compensation) stands.
struct ActionState {
  StepPhase phase = StepPhase::Blocked;
  int attempts = 0;      // attempts started so far
  int attempt_base = 0;  // attempts made before a dead-letter retry (not counted against the policy)
  Json input;
  Json output;
  Json error;
  bool interrupted = false;  // an attempt was running when the previous owner lost it
  std::optional<store::EpochMillis> next_attempt_at;  // database clock: retry due, or wait/sleep end
  std::optional<std::chrono::steady_clock::time_point> wake_at;  // wait/sleep end on this host's clock
};

struct StepSlot {
  const definitions::Step* definition = nullptr;
  std::vector<std::size_t> dependencies;  // indexes into the run's steps
  ActionState forward;
  ActionState compensation;
  std::optional<std::int64_t> done_order;  // completion order, for compensating in reverse
};

/// Which action of which step an attempt runs.
struct AttemptTarget {
  std::size_t index = 0;
  bool compensation = false;
};

/// Retries to schedule: which action, and in how long.
using Retries = std::vector<std::pair<AttemptTarget, std::chrono::milliseconds>>;

/// A checkpoint, and what starts once it has committed.
struct QueuedWrite {
  store::Checkpoint checkpoint;
  Retries retries;
  std::vector<AttemptTarget> to_run;
  std::chrono::steady_clock::time_point queued_at = std::chrono::steady_clock::now();
};

class WorkflowMetrics;

class ExecutionRun {
 public:
  using SteadyTime = std::chrono::steady_clock::time_point;

  ExecutionRun(store::ClaimedExecution record, definitions::DefinitionPtr definition,
               const std::string& host_id);

  std::mutex mutex;
  std::atomic<bool> cancel{false};  // interrupts running Lua attempts
  /// Its workflow version's metric series; null without metrics. Set once, before the run is shared.
  WorkflowMetrics* metrics = nullptr;

  const store::ClaimedExecution& record() const { return record_; }
  /// The triggering event (JSON null when started by API/CLI).
  const Json& event() const;
  const definitions::Definition& definition() const { return *definition_; }
  const store::Lease& lease() const { return lease_; }
  std::vector<StepSlot>& steps() { return steps_; }
  const std::vector<StepSlot>& steps() const { return steps_; }

  ActionState& state(AttemptTarget target) {
    auto& slot = steps_[target.index];
    return target.compensation ? slot.compensation : slot.forward;
  }
  const ActionState& state(AttemptTarget target) const {
    const auto& slot = steps_[target.index];
    return target.compensation ? slot.compensation : slot.forward;
  }
  const definitions::Action& action(AttemptTarget target) const;
  /// The id attempts are recorded under: the step id, or "compensate:<step id>".
  std::string attempt_id(AttemptTarget target) const;

  /// Blocked steps whose dependencies all completed or were skipped.
  std::vector<std::size_t> ready_steps() const;
  bool all_done() const;
  /// Attempts (of steps or compensations) executing now; waits and sleeps are not attempts.
  int running_count() const;
  /// A `wait` or `sleep` step that has started and not ended.
  bool is_waiting(std::size_t index) const;
  bool any_waiting() const;
  bool any_retrying() const;
  /// The completed step whose compensation is next (latest completed first), if any is left.
  std::optional<std::size_t> next_compensation() const;
  /// Records that step `index` completed now (its place in the compensation order).
  void mark_completed(std::size_t index);

  /// The status step `index`'s row has now (compensation included).
  const char* status_of(std::size_t index) const;
  /// The stored rows of step `index` and of its compensation, as they stand.
  store::StepState state_of(std::size_t index) const;
  store::StepState compensation_state_of(std::size_t index) const;
  /// `steps` as `${ }` expressions see it: { <id> = { output, status } }.
  Json steps_scope() const;
  /// `execution` as `${ }` expressions see it: { id, trace_id, workflow, version }.
  Json execution_scope() const;
  /// The execution's output: the last step's, or the last completed one's in file order.
  Json final_output() const;

  /// The execution deadline on this host's monotonic clock, if it has one.
  std::optional<SteadyTime> deadline() const { return deadline_; }

  // Set under `mutex`.
  std::optional<Json> failure;  // the error that fails the execution
  std::optional<Json> compensation_failure;  // a compensation that exhausted its retries
  bool timed_out = false;
  bool cancelled = false;     // a cancel was requested
  bool compensating = false;  // the execution's status is `compensating`
  bool finished = false;      // the final checkpoint is written
  std::set<std::int64_t> consumed_signals;
  bool abandoned = false;     // no longer ours (fenced out or in doubt)
  /// A finishing or parking checkpoint is queued: nothing more happens here.
  bool closing = false;
  /// Nothing more happens to this run on this host.
  bool done_here() const { return abandoned || finished || closing; }

  // The run's checkpoints commit one at a time, in order (set under `mutex`).
  bool writing = false;  // one is being written
  std::deque<QueuedWrite> queued_writes;  // the ones after it
  std::condition_variable writing_ended;

 private:
  store::ClaimedExecution record_;
  definitions::DefinitionPtr definition_;
  store::Lease lease_;
  std::vector<StepSlot> steps_;
  std::optional<SteadyTime> deadline_;
  std::int64_t completion_counter_ = 0;
};

const char* phase_status(StepPhase phase);

}  // namespace weft::engine
