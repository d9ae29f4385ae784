// Circuit breakers: one breaker per action, kept across all
// executions on a host; closed -> open on a failure rate over a sliding time window,
// open -> half-open after `open_for`, one probe call decides between closed and open.
#pragma once

#include "common/duration.hpp"
#include "definitions/definition.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace weft::engine {

/// The clock breakers read; injectable so tests can move time without sleeping.
using BreakerClock = std::function<std::chrono::steady_clock::time_point()>;

/// The breaker of one action. Thread-safe; never throws after construction.
///
/// Usage per call: `acquire()`; when not allowed, fail the attempt with `circuit_open`
/// (retryable) without calling the action and record nothing. When allowed, make the
/// call and `record(success, permit.probe)`, or `release(permit.probe)` if the call was
/// not made or its outcome says nothing about the action (e.g. the host shut down).
class CircuitBreaker {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  enum class State : std::uint8_t { Closed, Open, HalfOpen };

  /// The answer to `acquire()`.
  struct Permit {
    bool allowed = false;
    bool probe = false;        // this call is the half-open probe: pass it back to record/release
    Millis retry_after{0};     // when refused: how long until a call may pass (a hint, >= 1ms)
  };

  /// The breaker as shown in status output.
  struct Snapshot {
    State state = State::Closed;
    int calls = 0;                        // outcomes in the window (closed state; 0 otherwise)
    int failures = 0;                     // failed outcomes among them
    std::optional<TimePoint> opened_at;   // when it last opened (open and half-open only)
    Millis retry_after{0};                // open: time left before the probe; else 0
    bool probe_in_flight = false;
    definitions::CircuitBreakerSpec spec;  // the settings in force
  };

  /// At most this many outcomes are kept in the window; past it the oldest are
  /// dropped, so memory stays bounded under any call rate (the rate is then taken
  /// over the latest calls, which is what it is meant to reflect anyway).
  static constexpr std::size_t kMaxWindowCalls = 4096;

  /// A probe that neither records nor releases within this time is presumed lost
  /// (its caller vanished) and the next `acquire()` sends a new probe, so a lost
  /// permit cannot leave the action refused until the host restarts.
  static constexpr Millis kProbeLease{std::chrono::minutes{5}};

  /// `key` names the action in logs (e.g. `plugin:payments.charge`); an empty
  /// `clock` means std::chrono::steady_clock::now.
  CircuitBreaker(std::string key, const definitions::CircuitBreakerSpec& spec, BreakerClock clock = {});

  CircuitBreaker(const CircuitBreaker&) = delete;
  CircuitBreaker& operator=(const CircuitBreaker&) = delete;

  /// Whether a call may go ahead now. In the open state, the first call after
  /// `open_for` turns the breaker half-open and is the one probe; others are refused
  /// until the probe's outcome is recorded.
  Permit acquire();

  /// The outcome of a call that `acquire()` allowed; `probe` from its permit. Which
  /// outcomes are failures is the caller's decision. Non-probe outcomes that arrive
  /// while the breaker is not closed (calls that began before it opened) are ignored.
  void record(bool success, bool probe);

  /// The allowed call was not made or its outcome must not count: frees the probe
  /// slot so the next `acquire()` sends a new probe. No effect for non-probe permits.
  void release(bool probe);

  /// Applies new settings (a reloaded definition) in place, keeping the state and the
  /// outcomes in the window: references to this breaker stay valid.
  void reconfigure(const definitions::CircuitBreakerSpec& spec);

  /// The current state. An open breaker whose `open_for` has passed still reads open
  /// until the next `acquire()` turns it half-open.
  State state() const;

  /// "closed" | "open" | "half_open".
  std::string_view state_name() const;

  Snapshot snapshot() const;

  const std::string& key() const { return key_; }

 private:
  struct Outcome {
    TimePoint at;
    bool failure;
  };

  TimePoint now() const { return clock_(); }
  void prune_locked(TimePoint now);  // drops outcomes older than the window
  void reset_window_locked();

  const std::string key_;
  const BreakerClock clock_;

  mutable std::mutex mutex_;
  definitions::CircuitBreakerSpec spec_;  // sanitized (min_calls >= 1, window >= 1ms, ...)
  State state_ = State::Closed;
  std::deque<Outcome> window_;  // oldest first
  int failures_ = 0;            // failed outcomes in window_
  TimePoint opened_at_{};
  bool probe_in_flight_ = false;
  TimePoint probe_started_{};
};

/// "closed" | "open" | "half_open".
std::string_view to_string(CircuitBreaker::State state);

/// The breakers of one host, one per action key. Thread-safe. Breakers live as long
/// as the registry, so the references it hands out stay valid.
class CircuitBreakers {
 public:
  /// `clock` is handed to every breaker (empty: steady_clock::now).
  explicit CircuitBreakers(BreakerClock clock = {});

  /// The breaker for `key` (the action's identity, e.g. `lua:<workflow>/<script>` or
  /// `plugin:payments.charge`; not interpreted here), created on first use. When
  /// `spec` differs from the breaker's settings (a hot reload, or two steps sharing
  /// the action with different settings) the breaker is reconfigured in place rather
  /// than replaced: callers may hold references, and the action's health does not
  /// change because its configuration did. The latest caller's settings apply.
  CircuitBreaker& for_action(const std::string& key, const definitions::CircuitBreakerSpec& spec);

  /// Every breaker's snapshot, ordered by key.
  std::vector<std::pair<std::string, CircuitBreaker::Snapshot>> snapshot() const;

 private:
  struct Entry {
    std::unique_ptr<CircuitBreaker> breaker;  // a pointer: references outlive map rebalancing
    definitions::CircuitBreakerSpec spec;     // as last given, to notice a change cheaply
  };

  const BreakerClock clock_;
  mutable std::mutex mutex_;  // guards the map; each breaker has its own
  std::map<std::string, Entry, std::less<>> breakers_;
};

}  // namespace weft::engine
