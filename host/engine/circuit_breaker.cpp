#include "engine/circuit_breaker.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>

namespace weft::engine {
namespace {

using TimePoint = CircuitBreaker::TimePoint;
using State = CircuitBreaker::State;

// Rates such as 30% are not exact in binary; without a tolerance 3 failures of 10
// could fall just short of a 0.3 threshold.
constexpr double kRateTolerance = 1e-9;

definitions::CircuitBreakerSpec sanitized(definitions::CircuitBreakerSpec spec) {
  // The loader validates definitions; these guards only keep the arithmetic sane
  // (no division by zero, no window that drops every outcome at once).
  if (!(spec.failure_rate >= 0.0)) spec.failure_rate = 0.0;  // also catches NaN
  spec.failure_rate = std::min(spec.failure_rate, 1.0);
  spec.min_calls = std::max(spec.min_calls, 1);
  spec.window = std::max(spec.window, Millis{1});
  spec.open_for = std::max(spec.open_for, Millis{0});
  return spec;
}

bool same_spec(const definitions::CircuitBreakerSpec& a, const definitions::CircuitBreakerSpec& b) {
  return a.failure_rate == b.failure_rate && a.min_calls == b.min_calls && a.window == b.window &&
         a.open_for == b.open_for;
}

Millis ceil_millis(std::chrono::steady_clock::duration duration) {
  return std::chrono::ceil<Millis>(duration);
}

// A state change to log once the breaker's mutex is released, so a slow log sink
// never holds up other callers of the same action.
struct Transition {
  enum class Kind : std::uint8_t { None, Opened, Reopened, HalfOpened, Closed, ProbeLost };
  Kind kind = Kind::None;
  int calls = 0;
  int failures = 0;
  Millis window{0};
  Millis open_for{0};
  Millis probe_age{0};
};

void log_transition(const std::string& key, const Transition& change) {
  switch (change.kind) {
    case Transition::Kind::None:
      return;
    case Transition::Kind::Opened:
      spdlog::warn("circuit for {} opened: {} of {} calls failed in the last {}; failing fast for {}", key,
                   change.failures, change.calls, format_duration(change.window),
                   format_duration(change.open_for));
      return;
    case Transition::Kind::Reopened:
      spdlog::warn("circuit for {} opened again: the probe call failed; failing fast for {}", key,
                   format_duration(change.open_for));
      return;
    case Transition::Kind::HalfOpened:
      spdlog::info("circuit for {} half-open: {} passed, letting one probe call through", key,
                   format_duration(change.open_for));
      return;
    case Transition::Kind::Closed:
      spdlog::info("circuit for {} closed: the probe call succeeded", key);
      return;
    case Transition::Kind::ProbeLost:
      spdlog::warn("circuit for {}: the probe call sent {} ago never reported back; sending another", key,
                   format_duration(change.probe_age));
      return;
  }
}

}  // namespace

std::string_view to_string(CircuitBreaker::State state) {
  switch (state) {
    case State::Closed:
      return "closed";
    case State::Open:
      return "open";
    case State::HalfOpen:
      return "half_open";
  }
  return "closed";
}

CircuitBreaker::CircuitBreaker(std::string key, const definitions::CircuitBreakerSpec& spec,
                               BreakerClock clock)
    : key_(std::move(key)),
      clock_(clock ? std::move(clock) : BreakerClock{[] { return std::chrono::steady_clock::now(); }}),
      spec_(sanitized(spec)) {}

CircuitBreaker::Permit CircuitBreaker::acquire() {
  Permit permit;
  Transition change;
  {
    std::lock_guard lock(mutex_);
    const TimePoint t = now();
    switch (state_) {
      case State::Closed:
        permit.allowed = true;
        break;
      case State::Open: {
        const TimePoint due = opened_at_ + spec_.open_for;
        if (t < due) {
          permit.retry_after = std::max(ceil_millis(due - t), Millis{1});
          break;
        }
        state_ = State::HalfOpen;
        probe_in_flight_ = true;
        probe_started_ = t;
        permit.allowed = true;
        permit.probe = true;
        change.kind = Transition::Kind::HalfOpened;
        change.open_for = spec_.open_for;
        break;
      }
      case State::HalfOpen: {
        const bool lost = probe_in_flight_ && t - probe_started_ >= kProbeLease;
        if (probe_in_flight_ && !lost) {
          // The probe's outcome decides; open_for is how long a failed probe would
          // keep the breaker open, so it is the wait that never retries too early then.
          permit.retry_after = std::max(spec_.open_for, Millis{1});
          break;
        }
        if (lost) {
          change.kind = Transition::Kind::ProbeLost;
          change.probe_age = std::chrono::floor<Millis>(t - probe_started_);
        }
        probe_in_flight_ = true;
        probe_started_ = t;
        permit.allowed = true;
        permit.probe = true;
        break;
      }
    }
  }
  log_transition(key_, change);
  return permit;
}

void CircuitBreaker::record(bool success, bool probe) {
  Transition change;
  {
    std::lock_guard lock(mutex_);
    const TimePoint t = now();
    if (probe && state_ == State::HalfOpen) {
      probe_in_flight_ = false;
      if (success) {
        state_ = State::Closed;
        reset_window_locked();  // the failures that opened it are history now
        change.kind = Transition::Kind::Closed;
      } else {
        state_ = State::Open;
        opened_at_ = t;
        change.kind = Transition::Kind::Reopened;
        change.open_for = spec_.open_for;
      }
    } else if (state_ == State::Closed) {
      // A probe outcome arriving closed (a lost probe that came back late) is still
      // a real outcome of the action, so it counts like any other call.
      prune_locked(t);
      if (window_.size() >= kMaxWindowCalls) {
        if (window_.front().failure) --failures_;
        window_.pop_front();
      }
      window_.push_back(Outcome{t, !success});
      if (!success) ++failures_;

      const int calls = static_cast<int>(window_.size());
      const double rate = static_cast<double>(failures_) / static_cast<double>(calls);
      // failures_ > 0: a 0% threshold must not open a breaker over nothing but successes.
      if (calls >= spec_.min_calls && failures_ > 0 && rate >= spec_.failure_rate - kRateTolerance) {
        change.kind = Transition::Kind::Opened;
        change.calls = calls;
        change.failures = failures_;
        change.window = spec_.window;
        change.open_for = spec_.open_for;
        state_ = State::Open;
        opened_at_ = t;
        probe_in_flight_ = false;
        reset_window_locked();
      }
    }
    // Otherwise: open or half-open, and not the probe. The call began before the
    // breaker opened; its outcome says nothing the breaker does not already know.
  }
  log_transition(key_, change);
}

void CircuitBreaker::release(bool probe) {
  if (!probe) return;
  std::lock_guard lock(mutex_);
  if (state_ == State::HalfOpen) probe_in_flight_ = false;
}

void CircuitBreaker::reconfigure(const definitions::CircuitBreakerSpec& spec) {
  std::lock_guard lock(mutex_);
  spec_ = sanitized(spec);
  // Outcomes keep their timestamps, so a different window simply applies at the next prune.
}

CircuitBreaker::State CircuitBreaker::state() const {
  std::lock_guard lock(mutex_);
  return state_;
}

std::string_view CircuitBreaker::state_name() const { return to_string(state()); }

CircuitBreaker::Snapshot CircuitBreaker::snapshot() const {
  std::lock_guard lock(mutex_);
  const TimePoint t = now();
  Snapshot result;
  result.state = state_;
  result.spec = spec_;
  result.probe_in_flight = probe_in_flight_;
  if (state_ != State::Closed) result.opened_at = opened_at_;
  if (state_ == State::Open) {
    const TimePoint due = opened_at_ + spec_.open_for;
    if (t < due) result.retry_after = ceil_millis(due - t);
  }
  // Count without pruning (this is const): skip the expired outcomes at the front.
  int expired_calls = 0;
  int expired_failures = 0;
  for (const auto& outcome : window_) {
    if (t - outcome.at < spec_.window) break;
    ++expired_calls;
    if (outcome.failure) ++expired_failures;
  }
  result.calls = static_cast<int>(window_.size()) - expired_calls;
  result.failures = failures_ - expired_failures;
  return result;
}

void CircuitBreaker::prune_locked(TimePoint t) {
  // An outcome leaves the window once it is `window` old.
  while (!window_.empty() && t - window_.front().at >= spec_.window) {
    if (window_.front().failure) --failures_;
    window_.pop_front();
  }
}

void CircuitBreaker::reset_window_locked() {
  window_.clear();
  failures_ = 0;
}

CircuitBreakers::CircuitBreakers(BreakerClock clock) : clock_(std::move(clock)) {}

CircuitBreaker& CircuitBreakers::for_action(const std::string& key,
                                            const definitions::CircuitBreakerSpec& spec) {
  std::lock_guard lock(mutex_);
  auto found = breakers_.find(key);
  if (found == breakers_.end()) {
    found = breakers_.emplace(key, Entry{std::make_unique<CircuitBreaker>(key, spec, clock_), spec}).first;
  } else if (!same_spec(found->second.spec, spec)) {
    spdlog::debug("circuit for {}: settings changed; keeping its state", key);
    found->second.breaker->reconfigure(spec);
    found->second.spec = spec;
  }
  return *found->second.breaker;
}

std::vector<std::pair<std::string, CircuitBreaker::Snapshot>> CircuitBreakers::snapshot() const {
  std::vector<std::pair<std::string, CircuitBreaker::Snapshot>> result;
  std::lock_guard lock(mutex_);
  result.reserve(breakers_.size());
  for (const auto& [key, entry] : breakers_) result.emplace_back(key, entry.breaker->snapshot());
  return result;
}

}  // namespace weft::engine
