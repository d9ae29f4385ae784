// The circuit breaker's state machine on a fake clock: opening at the failure rate,
// the sliding window, failing fast, the single half-open probe, and concurrent use.
#include "engine/circuit_breaker.hpp"

#include <catch2/catch.hpp>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <sstream>
#include <thread>
#include <vector>

using weft::Millis;
using weft::definitions::CircuitBreakerSpec;
using weft::engine::CircuitBreaker;
using weft::engine::CircuitBreakers;
using State = CircuitBreaker::State;

namespace {

// Time moves only when a test says so; safe to read from several threads.
class FakeClock {
 public:
  std::chrono::steady_clock::time_point now() const {
    return base_ + std::chrono::nanoseconds{offset_ns_.load()};
  }
  void advance(Millis by) { offset_ns_ += std::chrono::duration_cast<std::chrono::nanoseconds>(by).count(); }
  weft::engine::BreakerClock function() {
    return [this] { return now(); };
  }

 private:
  const std::chrono::steady_clock::time_point base_ = std::chrono::steady_clock::now();
  std::atomic<std::int64_t> offset_ns_{0};
};

// Sends spdlog's default logger into a string for the scope (also keeps stress tests quiet).
class LogCapture {
 public:
  LogCapture() : previous_(spdlog::default_logger()) {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(text_);
    sink->set_pattern("%l %v");
    auto logger = std::make_shared<spdlog::logger>("capture", sink);
    logger->set_level(spdlog::level::info);
    spdlog::set_default_logger(logger);
  }
  ~LogCapture() { spdlog::set_default_logger(previous_); }
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;
  std::string text() const { return text_.str(); }

 private:
  std::shared_ptr<spdlog::logger> previous_;
  std::ostringstream text_;
};

CircuitBreakerSpec spec_of(double rate, int min_calls, Millis window = Millis{10000},
                           Millis open_for = Millis{10000}) {
  CircuitBreakerSpec spec;
  spec.failure_rate = rate;
  spec.min_calls = min_calls;
  spec.window = window;
  spec.open_for = open_for;
  return spec;
}

// Records `count` outcomes through acquire(), the way the orchestrator will.
void calls(CircuitBreaker& breaker, int count, bool success) {
  for (int i = 0; i < count; ++i) {
    const auto permit = breaker.acquire();
    REQUIRE(permit.allowed);
    REQUIRE_FALSE(permit.probe);
    breaker.record(success, permit.probe);
  }
}

// Opens a fresh breaker with min_calls failures.
void open(CircuitBreaker& breaker, int min_calls) {
  calls(breaker, min_calls, false);
  REQUIRE(breaker.state() == State::Open);
}

}  // namespace

TEST_CASE("a breaker stays closed below min_calls even when every call fails", "[engine][breaker]") {
  FakeClock clock;
  CircuitBreaker breaker("plugin:payments.charge", spec_of(0.5, 5), clock.function());
  CHECK(breaker.state_name() == "closed");
  calls(breaker, 4, false);
  CHECK(breaker.state() == State::Closed);
  const auto snapshot = breaker.snapshot();
  CHECK(snapshot.calls == 4);
  CHECK(snapshot.failures == 4);
  CHECK_FALSE(snapshot.opened_at);
  calls(breaker, 1, false);
  CHECK(breaker.state() == State::Open);
  CHECK(breaker.state_name() == "open");
}

TEST_CASE("a breaker opens at the failure rate and not below it", "[engine][breaker]") {
  FakeClock clock;
  SECTION("exactly at the rate") {
    CircuitBreaker breaker("k", spec_of(0.5, 10), clock.function());
    calls(breaker, 5, true);
    calls(breaker, 4, false);
    CHECK(breaker.state() == State::Closed);  // 9 calls: below min_calls
    calls(breaker, 1, false);                 // 5 of 10 = 50%
    CHECK(breaker.state() == State::Open);
  }
  SECTION("below the rate") {
    CircuitBreaker breaker("k", spec_of(0.5, 10), clock.function());
    calls(breaker, 6, true);
    calls(breaker, 4, false);  // 40%
    CHECK(breaker.state() == State::Closed);
    calls(breaker, 1, false);  // 5 of 11 = 45%
    CHECK(breaker.state() == State::Closed);
    calls(breaker, 1, false);  // 6 of 12 = 50%
    CHECK(breaker.state() == State::Open);
  }
  SECTION("a rate that is not exact in binary") {
    CircuitBreaker breaker("k", spec_of(0.3, 10), clock.function());
    calls(breaker, 7, true);
    calls(breaker, 2, false);
    CHECK(breaker.state() == State::Closed);
    calls(breaker, 1, false);  // 3 of 10 = 30%
    CHECK(breaker.state() == State::Open);
  }
  SECTION("a 0% rate never opens over successes alone") {
    CircuitBreaker breaker("k", spec_of(0.0, 3), clock.function());
    calls(breaker, 10, true);
    CHECK(breaker.state() == State::Closed);
    calls(breaker, 1, false);
    CHECK(breaker.state() == State::Open);
  }
}

TEST_CASE("outcomes leave the window once they are window-old", "[engine][breaker]") {
  FakeClock clock;
  SECTION("expired failures no longer count") {
    CircuitBreaker breaker("k", spec_of(0.5, 4), clock.function());
    calls(breaker, 3, false);
    clock.advance(Millis{10000});
    CHECK(breaker.snapshot().calls == 0);
    calls(breaker, 1, false);
    CHECK(breaker.state() == State::Closed);
    const auto snapshot = breaker.snapshot();
    CHECK(snapshot.calls == 1);
    CHECK(snapshot.failures == 1);
  }
  SECTION("failures just inside the window still count") {
    CircuitBreaker breaker("k", spec_of(0.5, 4), clock.function());
    calls(breaker, 3, false);
    clock.advance(Millis{9999});
    calls(breaker, 1, false);
    CHECK(breaker.state() == State::Open);
  }
  SECTION("expired successes no longer dilute the rate") {
    CircuitBreaker breaker("k", spec_of(0.5, 4), clock.function());
    calls(breaker, 10, true);
    clock.advance(Millis{5000});
    calls(breaker, 3, false);  // 3 of 13
    CHECK(breaker.state() == State::Closed);
    clock.advance(Millis{5000});  // the successes expire; the failures are 5s old
    CHECK(breaker.snapshot().calls == 3);
    calls(breaker, 1, true);  // 3 of 4
    CHECK(breaker.state() == State::Open);
  }
}

TEST_CASE("an open breaker fails fast with the time left as retry_after", "[engine][breaker]") {
  FakeClock clock;
  CircuitBreaker breaker("k", spec_of(0.5, 2, Millis{10000}, Millis{10000}), clock.function());
  open(breaker, 2);
  CHECK(breaker.snapshot().calls == 0);  // the window restarts after opening
  clock.advance(Millis{3000});
  auto permit = breaker.acquire();
  CHECK_FALSE(permit.allowed);
  CHECK_FALSE(permit.probe);
  CHECK(permit.retry_after == Millis{7000});
  auto snapshot = breaker.snapshot();
  CHECK(snapshot.state == State::Open);
  CHECK(snapshot.retry_after == Millis{7000});
  REQUIRE(snapshot.opened_at);
  CHECK(clock.now() - *snapshot.opened_at == Millis{3000});

  // A call that began before the breaker opened reports late: it changes nothing.
  breaker.record(true, false);
  CHECK(breaker.state() == State::Open);

  clock.advance(Millis{6999});
  permit = breaker.acquire();
  CHECK_FALSE(permit.allowed);
  CHECK(permit.retry_after == Millis{1});
}

TEST_CASE("after open_for exactly one probe passes", "[engine][breaker]") {
  FakeClock clock;
  CircuitBreaker breaker("k", spec_of(0.5, 2, Millis{10000}, Millis{5000}), clock.function());
  open(breaker, 2);
  clock.advance(Millis{5000});
  CHECK(breaker.state() == State::Open);  // until someone asks

  const auto probe = breaker.acquire();
  CHECK(probe.allowed);
  CHECK(probe.probe);
  CHECK(breaker.state() == State::HalfOpen);
  CHECK(breaker.state_name() == "half_open");
  CHECK(breaker.snapshot().probe_in_flight);
  for (int i = 0; i < 3; ++i) {
    const auto refused = breaker.acquire();
    CHECK_FALSE(refused.allowed);
    CHECK(refused.retry_after == Millis{5000});
  }
  // Late non-probe outcomes do not decide anything.
  breaker.record(true, false);
  CHECK(breaker.state() == State::HalfOpen);
}

TEST_CASE("concurrent acquires after open_for let exactly one probe through", "[engine][breaker]") {
  LogCapture quiet;
  FakeClock clock;
  CircuitBreaker breaker("k", spec_of(0.5, 2, Millis{10000}, Millis{1000}), clock.function());
  for (int round = 0; round < 20; ++round) {
    open(breaker, 2);
    clock.advance(Millis{1000});
    std::atomic<int> allowed{0}, probes{0};
    std::atomic<bool> go{false};
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
      threads.emplace_back([&] {
        while (!go.load()) std::this_thread::yield();
        for (int i = 0; i < 50; ++i) {
          const auto permit = breaker.acquire();
          if (permit.allowed) ++allowed;
          if (permit.probe) ++probes;
        }
      });
    }
    go = true;
    for (auto& thread : threads) thread.join();
    REQUIRE(allowed.load() == 1);
    REQUIRE(probes.load() == 1);
    breaker.record(true, true);
    REQUIRE(breaker.state() == State::Closed);
  }
}

TEST_CASE("a successful probe closes the breaker and restarts the window", "[engine][breaker]") {
  FakeClock clock;
  CircuitBreaker breaker("k", spec_of(0.6, 3, Millis{10000}, Millis{2000}), clock.function());
  calls(breaker, 2, true);
  calls(breaker, 2, false);  // 2 of 4
  REQUIRE(breaker.state() == State::Closed);
  calls(breaker, 1, false);  // 3 of 5
  REQUIRE(breaker.state() == State::Open);
  clock.advance(Millis{2000});
  const auto probe = breaker.acquire();
  REQUIRE(probe.probe);
  breaker.record(true, probe.probe);
  CHECK(breaker.state() == State::Closed);
  const auto snapshot = breaker.snapshot();
  CHECK(snapshot.calls == 0);
  CHECK(snapshot.failures == 0);
  CHECK_FALSE(snapshot.opened_at);
  CHECK_FALSE(snapshot.probe_in_flight);
  // The old outcomes are gone: it takes min_calls new ones to open again.
  calls(breaker, 2, false);
  CHECK(breaker.state() == State::Closed);
  calls(breaker, 1, false);
  CHECK(breaker.state() == State::Open);
}

TEST_CASE("a failed probe opens the breaker again for open_for", "[engine][breaker]") {
  FakeClock clock;
  CircuitBreaker breaker("k", spec_of(0.5, 2, Millis{10000}, Millis{4000}), clock.function());
  open(breaker, 2);
  clock.advance(Millis{4000});
  auto probe = breaker.acquire();
  REQUIRE(probe.probe);
  clock.advance(Millis{1500});  // the probe took a while
  breaker.record(false, probe.probe);
  CHECK(breaker.state() == State::Open);
  auto permit = breaker.acquire();
  CHECK_FALSE(permit.allowed);
  CHECK(permit.retry_after == Millis{4000});  // counted from the probe's failure
  clock.advance(Millis{4000});
  probe = breaker.acquire();
  CHECK(probe.allowed);
  CHECK(probe.probe);
}

TEST_CASE("a released or lost probe does not leave the breaker stuck half-open", "[engine][breaker]") {
  FakeClock clock;
  CircuitBreaker breaker("k", spec_of(0.5, 2, Millis{10000}, Millis{1000}), clock.function());
  open(breaker, 2);
  clock.advance(Millis{1000});
  REQUIRE(breaker.acquire().probe);
  REQUIRE_FALSE(breaker.acquire().allowed);

  breaker.release(false);  // non-probe permits release nothing
  REQUIRE_FALSE(breaker.acquire().allowed);
  breaker.release(true);
  CHECK(breaker.state() == State::HalfOpen);
  const auto next = breaker.acquire();
  CHECK(next.allowed);
  CHECK(next.probe);

  clock.advance(CircuitBreaker::kProbeLease - Millis{1});
  CHECK_FALSE(breaker.acquire().allowed);
  clock.advance(Millis{1});
  const auto after_lease = breaker.acquire();
  CHECK(after_lease.allowed);
  CHECK(after_lease.probe);
}

TEST_CASE("the registry keeps one breaker per key", "[engine][breaker]") {
  FakeClock clock;
  CircuitBreakers breakers(clock.function());
  const auto spec = spec_of(0.5, 2, Millis{10000}, Millis{3000});
  auto& charge = breakers.for_action("plugin:payments.charge", spec);
  auto& refund = breakers.for_action("plugin:payments.refund", spec);
  CHECK(&charge != &refund);
  CHECK(&breakers.for_action("plugin:payments.charge", spec) == &charge);
  CHECK(charge.key() == "plugin:payments.charge");

  open(charge, 2);
  CHECK(refund.state() == State::Closed);

  // New settings (a reload) apply to the same breaker, which stays open.
  auto& reloaded = breakers.for_action("plugin:payments.charge", spec_of(0.5, 2, Millis{10000}, Millis{8000}));
  CHECK(&reloaded == &charge);
  CHECK(charge.state() == State::Open);
  CHECK(charge.acquire().retry_after == Millis{8000});

  const auto all = breakers.snapshot();
  REQUIRE(all.size() == 2);
  CHECK(all[0].first == "plugin:payments.charge");
  CHECK(all[0].second.state == State::Open);
  CHECK(all[0].second.spec.open_for == Millis{8000});
  CHECK(all[1].first == "plugin:payments.refund");
  CHECK(all[1].second.state == State::Closed);
}

TEST_CASE("concurrent calls keep exact counts", "[engine][breaker]") {
  LogCapture quiet;
  FakeClock clock;
  CircuitBreakers breakers(clock.function());
  // Never opens (about a third of calls fail, the threshold is 90% of at least 100),
  // so every outcome counts.
  const auto spec = spec_of(0.9, 100, Millis{60000}, Millis{1000});
  constexpr int kThreads = 8;
  constexpr int kCallsPerThread = 500;  // 4000 in all: under kMaxWindowCalls
  static_assert(kThreads * kCallsPerThread <= static_cast<int>(CircuitBreaker::kMaxWindowCalls));
  std::atomic<int> refused{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kCallsPerThread; ++i) {
        auto& breaker = breakers.for_action("lua:orders/reserve.lua", spec);
        const auto permit = breaker.acquire();
        if (!permit.allowed) {
          ++refused;
          continue;
        }
        breaker.record(i % 3 != 0, permit.probe);
        (void)breakers.snapshot();
      }
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(refused.load() == 0);
  const auto all = breakers.snapshot();
  REQUIRE(all.size() == 1);
  CHECK(all[0].second.state == State::Closed);
  CHECK(all[0].second.calls == kThreads * kCallsPerThread);
  CHECK(all[0].second.failures == kThreads * ((kCallsPerThread + 2) / 3));
}

TEST_CASE("concurrent opening and probing never has two probes in flight", "[engine][breaker]") {
  LogCapture quiet;
  FakeClock clock;
  CircuitBreaker breaker("k", spec_of(0.5, 3, Millis{1000}, Millis{5}), clock.function());
  std::atomic<int> in_flight{0}, most_in_flight{0}, probes{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 2000; ++i) {
        const auto permit = breaker.acquire();
        if (!permit.allowed) {
          clock.advance(Millis{1});
          continue;
        }
        if (permit.probe) {
          const int now_in_flight = ++in_flight;
          int seen = most_in_flight.load();
          while (now_in_flight > seen && !most_in_flight.compare_exchange_weak(seen, now_in_flight)) {
          }
          ++probes;
          --in_flight;  // before record: once recorded, another probe may legitimately start
        }
        breaker.record((i + t) % 4 == 0, permit.probe);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(most_in_flight.load() == 1);
  CHECK(probes.load() > 0);  // the breaker did open and probe under contention
}

TEST_CASE("state changes are logged with the action key", "[engine][breaker]") {
  LogCapture log;
  FakeClock clock;
  CircuitBreaker breaker("plugin:payments.charge", spec_of(0.5, 10, Millis{10000}, Millis{10000}),
                         clock.function());
  calls(breaker, 4, true);
  calls(breaker, 6, false);
  CHECK(log.text() ==
        "warning circuit for plugin:payments.charge opened: 6 of 10 calls failed in the last 10s; "
        "failing fast for 10s\n");
  clock.advance(Millis{10000});
  auto probe = breaker.acquire();
  breaker.record(false, probe.probe);
  clock.advance(Millis{10000});
  probe = breaker.acquire();
  breaker.record(true, probe.probe);
  CHECK(log.text() ==
        "warning circuit for plugin:payments.charge opened: 6 of 10 calls failed in the last 10s; "
        "failing fast for 10s\n"
        "info circuit for plugin:payments.charge half-open: 10s passed, letting one probe call through\n"
        "warning circuit for plugin:payments.charge opened again: the probe call failed; failing fast for 10s\n"
        "info circuit for plugin:payments.charge half-open: 10s passed, letting one probe call through\n"
        "info circuit for plugin:payments.charge closed: the probe call succeeded\n");
}
