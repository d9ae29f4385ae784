// What an action sees of its step: the same as `ctx` in Lua.
// A Context lives for one call; do not keep it or anything it returns.
#pragma once

#include <weft/abi.h>
#include <weft/detail/text.hpp>
#include <weft/error.hpp>

#include <boost/json.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

namespace weft {

/// Structured log lines; each carries the step's trace id, execution and step.
class Logger {
 public:
  explicit Logger(const weft_host_api* host) : host_(host) {}
  void info(std::string_view message, const boost::json::object& fields = {}) const { write(0, message, fields); }
  void warn(std::string_view message, const boost::json::object& fields = {}) const { write(1, message, fields); }
  void error(std::string_view message, const boost::json::object& fields = {}) const { write(2, message, fields); }

 private:
  void write(int level, std::string_view message, const boost::json::object& fields) const {
    const auto text = boost::json::serialize(fields);
    host_->log(host_->call, level, message.data(), message.size(), text.data(), text.size());
  }
  const weft_host_api* host_;
};

/// The step's own transaction (only in `transaction:` steps). Parameters are
/// bound to `$1..$n`, never interpolated. A failed statement throws weft::Error
/// with its SQLSTATE classification (uncaught, it becomes the step's error).
class Database {
 public:
  explicit Database(const weft_host_api* host) : host_(host) {}

  /// All rows, as an array of objects (column -> value).
  template <typename... Params>
  Json query(std::string_view sql, Params&&... params) {
    return call(host_->db_query, sql, bound(std::forward<Params>(params)...));
  }
  /// The first row, or null when there is none.
  template <typename... Params>
  Json query_one(std::string_view sql, Params&&... params) {
    auto rows = query(sql, std::forward<Params>(params)...);
    if (!rows.is_array() || rows.get_array().empty()) return nullptr;
    return rows.get_array()[0];
  }
  /// The number of rows the statement affected.
  template <typename... Params>
  std::int64_t exec(std::string_view sql, Params&&... params) {
    const auto count = call(host_->db_exec, sql, bound(std::forward<Params>(params)...));
    return count.is_int64() ? count.get_int64() : 0;
  }

 private:
  using HostFunction = int (*)(void*, const char*, std::size_t, const char*, std::size_t, weft_text_sink*);

  template <typename... Params>
  static boost::json::array bound(Params&&... params) {
    boost::json::array values;
    (values.emplace_back(boost::json::value_from(std::forward<Params>(params))), ...);
    return values;
  }

  Json call(HostFunction function, std::string_view sql, const boost::json::array& params) {
    const auto text = boost::json::serialize(params);
    detail::TextSink out;
    if (function(host_->call, sql.data(), sql.size(), text.data(), text.size(), out.get()) != WEFT_OK)
      throw detail::error_from_text(out.text());
    return boost::json::parse(out.text());
  }

  const weft_host_api* host_;
};

class Context {
 public:
  /// Built by the SDK for each call (from the host's call context).
  Context(const boost::json::object& context, const weft_host_api* host, const Json& config)
      : execution_id_(text_of(context, "execution_id")),
        workflow_(text_of(context, "workflow")),
        version_(text_of(context, "version")),
        step_(text_of(context, "step")),
        trace_id_(text_of(context, "trace_id")),
        idempotency_key_(text_of(context, "idempotency_key")),
        attempt_(static_cast<int>(number_of(context, "attempt"))),
        transactional_(context.contains("transactional") && context.at("transactional").is_bool() &&
                       context.at("transactional").get_bool()),
        host_(host),
        config_(config),
        logger_(host),
        database_(host) {}

  const std::string& execution_id() const noexcept { return execution_id_; }
  const std::string& workflow() const noexcept { return workflow_; }
  const std::string& version() const noexcept { return version_; }
  /// The step's id (for a compensation: "compensate:<step>").
  const std::string& step() const noexcept { return step_; }
  /// 1 for the first attempt.
  int attempt() const noexcept { return attempt_; }
  const std::string& trace_id() const noexcept { return trace_id_; }
  /// Stable for this execution and step across attempts and hosts: pass it to external services.
  const std::string& idempotency_key() const noexcept { return idempotency_key_; }

  const Logger& log() const noexcept { return logger_; }

  /// The step's transaction; throws weft::Failure("no_transaction") outside `transaction:` steps.
  Database& db() {
    if (!transactional_) throw Failure("no_transaction", "ctx.db() is only available in steps with `transaction:`");
    return database_;
  }

  /// A follow-up event, delivered only if the step commits.
  void emit(std::string_view type, const Json& data) {
    const auto text = boost::json::serialize(data);
    detail::TextSink out;
    if (host_->emit(host_->call, type.data(), type.size(), text.data(), text.size(), out.get()) != WEFT_OK)
      throw detail::error_from_text(out.text());
  }

  /// This plugin's settings from the host config file (`plugins: {<name>: {...}}`); null if none.
  const Json& config() const noexcept { return config_; }

 private:
  static std::string text_of(const boost::json::object& context, std::string_view key) {
    const auto* value = context.if_contains(key);
    return value && value->is_string() ? std::string(value->get_string()) : std::string();
  }
  static std::int64_t number_of(const boost::json::object& context, std::string_view key) {
    const auto* value = context.if_contains(key);
    return value && value->is_int64() ? value->get_int64() : 0;
  }

  std::string execution_id_, workflow_, version_, step_, trace_id_, idempotency_key_;
  int attempt_;
  bool transactional_;
  const weft_host_api* host_;
  const Json& config_;
  Logger logger_;
  Database database_;
};

}  // namespace weft
