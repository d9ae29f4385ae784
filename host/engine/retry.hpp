// Retry decisions and backoff: delay = min(initial_interval *
// backoff^(attempt-1), max_interval), with full jitter drawn from [0, delay].
#pragma once

#include "common/duration.hpp"
#include "common/outcome.hpp"
#include "definitions/definition.hpp"

#include <random>

namespace weft::engine {

/// True when a failed attempt number `attempt` (1-based) may be followed by another.
bool should_retry(const definitions::RetryPolicy& policy, const StepError& error, int attempt);

/// The delay before the attempt after `attempt`, before jitter.
Millis backoff_delay(const definitions::RetryPolicy& policy, int attempt);

/// The delay actually waited: backoff_delay with the policy's jitter applied.
Millis retry_delay(const definitions::RetryPolicy& policy, int attempt, std::mt19937_64& rng);

}  // namespace weft::engine
