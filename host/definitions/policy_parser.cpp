#include "definitions/policy_parser.hpp"

#include "definitions/template_compiler.hpp"

namespace weft::definitions {

std::optional<Millis> positive_duration(const Field& field, YamlReader& reader) {
  auto value = reader.duration(field);
  if (value && value->count() <= 0) {
    reader.error(field, "`" + field.name + "` must be longer than 0");
    return std::nullopt;
  }
  return value;
}

bool parse_retry(const Field& field, YamlReader& reader, RetryPolicy& policy) {
  const auto fields = reader.mapping(field.value, "retry",
                                     {"max_attempts", "initial_interval", "backoff", "max_interval", "jitter",
                                      "non_retryable"});
  if (!fields) return false;
  const auto errors = reader.error_count();
  for (const auto& entry : fields->all()) {
    if (entry.name == "max_attempts") {
      if (auto value = reader.integer(entry, 1)) {
        if (*value > 1000000) {
          reader.error(entry, "`max_attempts` must be at most 1000000");
        } else {
          policy.max_attempts = static_cast<int>(*value);
        }
      }
    } else if (entry.name == "initial_interval") {
      if (auto value = reader.duration(entry)) policy.initial_interval = *value;
    } else if (entry.name == "backoff") {
      if (auto value = reader.number(entry, 1.0)) policy.backoff = *value;
    } else if (entry.name == "max_interval") {
      if (auto value = reader.duration(entry)) policy.max_interval = *value;
    } else if (entry.name == "jitter") {
      if (auto value = reader.string(entry)) {
        if (*value == "full") {
          policy.jitter = Jitter::Full;
        } else if (*value == "none") {
          policy.jitter = Jitter::None;
        } else {
          reader.error(entry, "`jitter` must be `full` or `none`, not `" + printable(*value) + "`");
        }
      }
    } else if (entry.name == "non_retryable") {
      if (auto value = reader.string_list(entry)) policy.non_retryable = std::move(*value);
    }
  }
  return reader.error_count() == errors;
}

bool parse_transaction(const Field& field, YamlReader& reader, std::optional<TransactionSpec>& out) {
  if (field.value.IsScalar()) {
    const auto enabled = reader.boolean(field);
    if (!enabled) return false;
    if (*enabled) out = TransactionSpec{};
    return true;
  }
  const auto fields = reader.mapping(field.value, "transaction", {"isolation", "timeout"});
  if (!fields) return false;
  const auto errors = reader.error_count();
  TransactionSpec spec;
  if (const auto* entry = fields->find("isolation")) {
    if (auto value = reader.string(*entry)) {
      if (*value == "read_committed") {
        spec.isolation = Isolation::ReadCommitted;
      } else if (*value == "repeatable_read") {
        spec.isolation = Isolation::RepeatableRead;
      } else if (*value == "serializable") {
        spec.isolation = Isolation::Serializable;
      } else {
        reader.error(*entry, "`isolation` must be read_committed, repeatable_read or serializable, not `" +
                                 printable(*value) + "`");
      }
    }
  }
  if (const auto* entry = fields->find("timeout")) spec.statement_timeout = positive_duration(*entry, reader);
  out = spec;
  return reader.error_count() == errors;
}

bool parse_lock(const Field& field, YamlReader& reader, std::optional<LockSpec>& out) {
  const auto fields = reader.mapping(field.value, "lock", {"key", "ttl", "wait"});
  if (!fields) return false;
  const auto errors = reader.error_count();
  LockSpec spec;
  if (const auto* entry = fields->find("key")) {
    if (auto key = compile_template(*entry, reader)) spec.key = std::move(*key);
  } else {
    reader.error(field, "`lock` needs a `key`");
  }
  if (const auto* entry = fields->find("ttl")) {
    if (auto value = positive_duration(*entry, reader)) spec.ttl = *value;
  }
  if (const auto* entry = fields->find("wait")) {
    if (auto value = reader.duration(*entry)) spec.wait = *value;
  }
  out = std::move(spec);
  return reader.error_count() == errors;
}

bool parse_circuit_breaker(const Field& field, YamlReader& reader, std::optional<CircuitBreakerSpec>& out) {
  const auto fields =
      reader.mapping(field.value, "circuit_breaker", {"failure_rate", "min_calls", "window", "open_for"});
  if (!fields) return false;
  const auto errors = reader.error_count();
  CircuitBreakerSpec spec;
  if (const auto* entry = fields->find("failure_rate")) {
    if (auto value = reader.rate(*entry)) {
      if (*value <= 0.0) {
        reader.error(*entry, "`failure_rate` must be above 0");
      } else {
        spec.failure_rate = *value;
      }
    }
  }
  if (const auto* entry = fields->find("min_calls")) {
    if (auto value = reader.integer(*entry, 1)) spec.min_calls = static_cast<int>(std::min(*value, 1000000LL));
  }
  if (const auto* entry = fields->find("window")) {
    if (auto value = positive_duration(*entry, reader)) spec.window = *value;
  }
  if (const auto* entry = fields->find("open_for")) {
    if (auto value = positive_duration(*entry, reader)) spec.open_for = *value;
  }
  out = spec;
  return reader.error_count() == errors;
}

bool parse_concurrency(const Field& field, YamlReader& reader, std::optional<ConcurrencySpec>& out) {
  const auto fields = reader.mapping(field.value, "concurrency", {"key", "limit"});
  if (!fields) return false;
  const auto errors = reader.error_count();
  ConcurrencySpec spec;
  if (const auto* entry = fields->find("key")) {
    if (auto key = compile_template(*entry, reader)) spec.key = std::move(*key);
  } else {
    // One bucket for the whole workflow: a constant key.
    spec.key = constant_template(Json(""), reader.location(field));
  }
  if (const auto* entry = fields->find("limit")) {
    if (auto value = reader.integer(*entry, 1)) spec.limit = static_cast<int>(std::min(*value, 1000000000LL));
  }
  out = std::move(spec);
  return reader.error_count() == errors;
}

bool parse_wait(const Field& field, YamlReader& reader, WaitSpec& out) {
  const auto fields = reader.mapping(field.value, "wait", {"signal", "timeout"});
  if (!fields) return false;
  const auto errors = reader.error_count();
  if (const auto* entry = fields->find("signal")) {
    if (auto value = reader.non_empty_string(*entry)) out.signal = std::move(*value);
  } else {
    reader.error(field, "`wait` needs a `signal` to wait for");
  }
  if (const auto* entry = fields->find("timeout")) {
    if (auto value = positive_duration(*entry, reader)) out.timeout = *value;
  } else {
    reader.error(field, "`wait` needs a `timeout`, so nothing waits forever unseen");
  }
  return reader.error_count() == errors;
}

bool parse_defaults(const Field& field, YamlReader& reader, ActionDefaults& out) {
  const auto fields = reader.mapping(field.value, "defaults", {"timeout", "retry"});
  if (!fields) return false;
  const auto errors = reader.error_count();
  if (const auto* entry = fields->find("timeout")) {
    if (auto value = positive_duration(*entry, reader)) out.timeout = *value;
  }
  if (const auto* entry = fields->find("retry")) parse_retry(*entry, reader, out.retry);
  return reader.error_count() == errors;
}

}  // namespace weft::definitions
