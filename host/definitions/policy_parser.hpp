// Reads the policy blocks a step or workflow may carry (`retry`, `transaction`,
// `lock`, `circuit_breaker`, `concurrency`, `wait`, `defaults`). Each function
// reports what is wrong and returns false; `out` keeps whatever was valid.
#pragma once

#include "definitions/definition.hpp"
#include "definitions/yaml_reader.hpp"

#include <optional>

namespace weft::definitions {

/// What `defaults:` gives every step and compensation that does not say otherwise.
struct ActionDefaults {
  RetryPolicy retry;  // the built-in one unless `defaults.retry` changes it
  Millis timeout{60000};
};

/// A duration that must be longer than zero (timeouts, ttl, windows).
std::optional<Millis> positive_duration(const Field& field, YamlReader& reader);

/// Applies the keys of a `retry:` mapping on top of `policy` (the defaults).
bool parse_retry(const Field& field, YamlReader& reader, RetryPolicy& policy);

/// `transaction: true | false | { isolation, timeout }`; false leaves `out` empty.
bool parse_transaction(const Field& field, YamlReader& reader, std::optional<TransactionSpec>& out);

bool parse_lock(const Field& field, YamlReader& reader, std::optional<LockSpec>& out);
bool parse_circuit_breaker(const Field& field, YamlReader& reader, std::optional<CircuitBreakerSpec>& out);
bool parse_concurrency(const Field& field, YamlReader& reader, std::optional<ConcurrencySpec>& out);
bool parse_wait(const Field& field, YamlReader& reader, WaitSpec& out);
bool parse_defaults(const Field& field, YamlReader& reader, ActionDefaults& out);

}  // namespace weft::definitions
