// Logging: spdlog with one line per record, as text or as JSON (`--log-format`).
// Every record made while a LogScope is active carries its trace id, execution
// id and step, so a line about an execution can always be traced back.
#pragma once

#include "common/json.hpp"

#include <spdlog/spdlog.h>

#include <string>
#include <string_view>

namespace weft {

enum class LogFormat { Text, JsonLines };

/// Installs the process-wide stderr logger with the chosen format.
void setup_logging(LogFormat format, spdlog::level::level_enum level = spdlog::level::info);

struct LogContext {
  std::string trace_id;
  std::string execution_id;
  std::string step;
};

/// Sets the calling thread's log context for its lifetime (restores the previous one).
class LogScope {
 public:
  explicit LogScope(LogContext context);
  ~LogScope();
  LogScope(const LogScope&) = delete;
  LogScope& operator=(const LogScope&) = delete;

 private:
  LogContext previous_;
};

/// Logs `message` with extra structured fields (a Lua step's `ctx.log.info(msg, fields)`).
void log_with_fields(spdlog::level::level_enum level, std::string_view message,
                     const JsonObject& fields);

}  // namespace weft
