// The in-memory state of one execution this host owns: its pinned definition,
// its lease, and where each step stands. The database is the truth; this is
// rebuilt from it on every claim. Guarded by `mutex` (steps of one execution
// may finish on different worker threads).
#pragma once

#include "definitions/definition.hpp"
#include "store/records.hpp"

#include <atomic>
#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace weft::engine {

enum class StepPhase : std::uint8_t { Blocked, Running, Retrying, Completed, Skipped, Failed };

struct StepSlot {
  const definitions::Step* definition = nullptr;
  std::vector<std::size_t> dependencies;  // indexes into the run's steps
  StepPhase phase = StepPhase::Blocked;
  int attempts = 0;  // attempts started so far
  Json input;
  Json output;
  Json error;
  bool interrupted = false;  // an attempt was running when the previous owner lost it
  std::optional<store::EpochMillis> next_attempt_at;  // database clock, for Retrying
};

class ExecutionRun {
 public:
  using SteadyTime = std::chrono::steady_clock::time_point;

  ExecutionRun(store::ClaimedExecution record, definitions::DefinitionPtr definition,
               const std::string& host_id);

  std::mutex mutex;
  std::atomic<bool> cancel{false};  // interrupts running Lua attempts

  const store::ClaimedExecution& record() const { return record_; }
  const definitions::Definition& definition() const { return *definition_; }
  const store::Lease& lease() const { return lease_; }
  std::vector<StepSlot>& steps() { return steps_; }

  /// Blocked steps whose dependencies all completed or were skipped.
  std::vector<std::size_t> ready_steps() const;
  bool all_done() const;
  int running_count() const;

  /// The stored row of step `index` as it stands.
  store::StepState state_of(std::size_t index) const;
  /// `steps` as `${ }` expressions see it: { <id> = { output, status } }.
  Json steps_scope() const;
  /// `execution` as `${ }` expressions see it: { id, trace_id, workflow, version }.
  Json execution_scope() const;
  /// The execution's output: the last step's, or the last completed one's in file order.
  Json final_output() const;

  /// The execution deadline on this host's monotonic clock, if it has one.
  std::optional<SteadyTime> deadline() const { return deadline_; }

  // Set once, under `mutex`.
  std::optional<Json> failure;  // the error that fails the execution
  bool timed_out = false;
  bool finished = false;   // the final checkpoint is written
  bool abandoned = false;  // no longer ours (fenced out or in doubt)

 private:
  store::ClaimedExecution record_;
  definitions::DefinitionPtr definition_;
  store::Lease lease_;
  std::vector<StepSlot> steps_;
  std::optional<SteadyTime> deadline_;
};

const char* phase_status(StepPhase phase);

}  // namespace weft::engine
