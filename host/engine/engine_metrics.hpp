// What the engine records in a metrics::Registry (EngineOptions::metrics).
// The family names are a contract (dashboards and alerts use them):
//
//   weft_events_routed_total                              counter
//   weft_executions_started_total{workflow}               counter
//   weft_executions_finished_total{workflow,status}       counter: completed, compensated, failed,
//                                                         cancelled, timed_out
//   weft_step_attempts_total{workflow,step,outcome}       counter: outcome in AttemptOutcome
//   weft_step_duration_seconds{workflow,step}             histogram of attempt durations
//   weft_checkpoint_duration_seconds                      histogram: queued to durable
//   weft_db_pool_connections{state="in_use"|"idle"}       gauge
//   weft_db_pool_size                                     gauge
//   weft_db_pool_wait_seconds                             histogram: every borrow (0 when one was free)
//   weft_db_pool_timeouts_total                           counter
//   weft_lock_waits_total{workflow,step}                  counter: named locks found held
//   weft_lock_wait_seconds                                histogram: time to take (or give up on) a named lock
//   weft_circuit_breaker_state{action}                    gauge: 0 closed, 1 half-open, 2 open
//   weft_active_executions                                gauge: held by this host
//
// `step` is the step id, or `compensate:<step id>` for a compensation (as in
// the attempt history). Labels are only ever workflow ids, step ids, statuses
// and action names: never execution ids, trace ids or keys.
//
// Recording costs relaxed atomic operations on series looked up once: a run
// gets its workflow version's WorkflowMetrics when it is made, and each of its
// series is looked up in the registry on its first use only.
#pragma once

#include "definitions/definition.hpp"
#include "metrics/registry.hpp"

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace weft::engine {

/// The `outcome` of weft_step_attempts_total (a fixed set):
///   completed: the attempt succeeded;
///   retrying:  it failed and the step (or compensation) gets another attempt;
///   failed:    it failed and so did the step: a non-retryable error, no
///              attempts left, or the execution was ending.
/// Counted are attempts that ran (or were refused: circuit open, lock or pool
/// timeout) on this host; an attempt lost with a dead host is not.
enum class AttemptOutcome : std::uint8_t { Completed, Retrying, Failed };

/// A series looked up in its family on first use, then kept.
template <typename Metric>
class LazySeries {
 public:
  LazySeries(metrics::Family<Metric>& family, std::vector<std::string> labels)
      : family_(family), labels_(std::move(labels)) {}
  Metric& get() {
    if (auto* metric = cached_.load(std::memory_order_acquire)) return *metric;
    auto* metric = &family_.labels(labels_);  // the same series for every thread that races here
    cached_.store(metric, std::memory_order_release);
    return *metric;
  }

 private:
  metrics::Family<Metric>& family_;
  const std::vector<std::string> labels_;
  std::atomic<Metric*> cached_{nullptr};
};

class EngineMetrics;

/// The series of one workflow version. Thread-safe.
class WorkflowMetrics {
 public:
  WorkflowMetrics(EngineMetrics& families, const definitions::Definition& definition);

  void started() { started_.get().inc(); }
  /// `status`: the execution's final status (unknown ones are not counted).
  void finished(std::string_view status);
  void attempt(std::size_t step, bool compensation, AttemptOutcome outcome) {
    series(step, compensation).attempts[static_cast<std::size_t>(outcome)].get().inc();
  }
  void attempt_duration(std::size_t step, bool compensation, double seconds) {
    series(step, compensation).duration.get().observe(seconds);
  }
  void lock_waited(std::size_t step, bool compensation) { series(step, compensation).lock_waits.get().inc(); }

 private:
  struct Step {
    Step(EngineMetrics& families, const std::string& workflow, const std::string& step);
    std::array<LazySeries<metrics::Counter>, 3> attempts;  // by AttemptOutcome
    LazySeries<metrics::Histogram> duration;
    LazySeries<metrics::Counter> lock_waits;
  };
  Step& series(std::size_t step, bool compensation) {
    return compensation ? *compensations_[step] : *steps_[step];
  }

  LazySeries<metrics::Counter> started_;
  std::array<std::unique_ptr<LazySeries<metrics::Counter>>, 5> finished_;  // by kFinishStatuses
  std::vector<std::unique_ptr<Step>> steps_;          // by step index
  std::vector<std::unique_ptr<Step>> compensations_;  // by step index; null without a compensation
};

/// The engine's families and unlabelled series; null members when there is no registry.
class EngineMetrics {
 public:
  /// Registers the families; null: everything here is null and records nothing.
  explicit EngineMetrics(metrics::Registry* registry);

  bool enabled() const { return registry_ != nullptr; }
  metrics::Registry* registry() const { return registry_; }

  /// The series of a workflow version, made once per version; null when disabled.
  WorkflowMetrics* workflow(const definitions::DefinitionPtr& definition);

  /// The statuses of weft_executions_finished_total.
  static constexpr std::array<std::string_view, 5> kFinishStatuses = {"completed", "compensated", "failed",
                                                                      "cancelled", "timed_out"};

  // Families with labels (WorkflowMetrics holds their series).
  metrics::CounterFamily* started = nullptr;
  metrics::CounterFamily* finished = nullptr;
  metrics::CounterFamily* attempts = nullptr;
  metrics::HistogramFamily* step_duration = nullptr;
  metrics::CounterFamily* lock_waits = nullptr;
  metrics::GaugeFamily* breaker_state = nullptr;
  // Series without labels.
  metrics::Counter* events_routed = nullptr;
  metrics::Histogram* checkpoint_duration = nullptr;
  metrics::Gauge* pool_in_use = nullptr;
  metrics::Gauge* pool_idle = nullptr;
  metrics::Gauge* pool_size = nullptr;
  metrics::Histogram* pool_wait = nullptr;
  metrics::Counter* pool_timeouts = nullptr;
  metrics::Histogram* lock_wait = nullptr;
  metrics::Gauge* active_executions = nullptr;

  /// Seconds since `since` (steady clock).
  static double seconds_since(std::chrono::steady_clock::time_point since) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
  }

 private:
  metrics::Registry* registry_ = nullptr;
  std::mutex mutex_;
  /// Per version; the key holds the definition, so its address is never reused meanwhile.
  std::unordered_map<definitions::DefinitionPtr, std::unique_ptr<WorkflowMetrics>> workflows_;
};

}  // namespace weft::engine
