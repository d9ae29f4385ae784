#include "engine/retry.hpp"

#include <catch2/catch.hpp>

using weft::Millis;
using weft::StepError;
using weft::definitions::Jitter;
using weft::definitions::RetryPolicy;

TEST_CASE("backoff follows min(initial * backoff^(attempt-1), max)", "[engine][retry]") {
  RetryPolicy policy;
  policy.initial_interval = Millis{200};
  policy.backoff = 2.0;
  policy.max_interval = Millis{1000};
  CHECK(weft::engine::backoff_delay(policy, 1) == Millis{200});
  CHECK(weft::engine::backoff_delay(policy, 2) == Millis{400});
  CHECK(weft::engine::backoff_delay(policy, 3) == Millis{800});
  CHECK(weft::engine::backoff_delay(policy, 4) == Millis{1000});
  CHECK(weft::engine::backoff_delay(policy, 500) == Millis{1000});  // no overflow
  policy.backoff = 1.0;
  CHECK(weft::engine::backoff_delay(policy, 7) == Millis{200});
}

TEST_CASE("full jitter stays between 0 and the delay and varies, no jitter is exact", "[engine][retry]") {
  RetryPolicy policy;
  policy.initial_interval = Millis{1000};
  std::mt19937_64 rng{42};
  std::int64_t low = 1000, high = 0;
  for (int i = 0; i < 1000; ++i) {
    const std::int64_t delay = weft::engine::retry_delay(policy, 1, rng).count();
    REQUIRE(delay >= 0);
    REQUIRE(delay <= 1000);
    low = std::min(low, delay);
    high = std::max(high, delay);
  }
  CHECK(low < 100);
  CHECK(high > 900);
  policy.jitter = Jitter::None;
  CHECK(weft::engine::retry_delay(policy, 2, rng) == Millis{2000});
}

TEST_CASE("retry stops at max_attempts, for non-retryable errors and listed codes", "[engine][retry]") {
  RetryPolicy policy;
  policy.max_attempts = 3;
  policy.non_retryable = {"insufficient_stock"};
  const StepError transient{"error", "boom", true, nullptr};
  CHECK(weft::engine::should_retry(policy, transient, 1));
  CHECK(weft::engine::should_retry(policy, transient, 2));
  CHECK_FALSE(weft::engine::should_retry(policy, transient, 3));
  CHECK_FALSE(weft::engine::should_retry(policy, StepError{"bad", "no", false, nullptr}, 1));
  CHECK_FALSE(weft::engine::should_retry(policy, StepError{"insufficient_stock", "no", true, nullptr}, 1));
}
