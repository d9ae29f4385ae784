#include "engine/retry.hpp"

#include <algorithm>
#include <cmath>

namespace weft::engine {

bool should_retry(const definitions::RetryPolicy& policy, const StepError& error, int attempt) {
  if (!error.retryable || attempt >= policy.max_attempts) return false;
  const auto& codes = policy.non_retryable;
  return std::find(codes.begin(), codes.end(), error.code) == codes.end();
}

Millis backoff_delay(const definitions::RetryPolicy& policy, int attempt) {
  const double initial = static_cast<double>(policy.initial_interval.count());
  const double cap = static_cast<double>(policy.max_interval.count());
  // pow grows fast: clamp before converting so large attempt numbers cannot overflow.
  const double delay = std::min(initial * std::pow(policy.backoff, std::max(0, attempt - 1)), cap);
  return Millis{static_cast<long long>(std::max(0.0, delay))};
}

Millis retry_delay(const definitions::RetryPolicy& policy, int attempt, std::mt19937_64& rng) {
  const Millis delay = backoff_delay(policy, attempt);
  if (policy.jitter == definitions::Jitter::None || delay.count() == 0) return delay;
  std::uniform_int_distribution<long long> jitter(0, delay.count());
  return Millis{jitter(rng)};
}

}  // namespace weft::engine
