#include "common/log.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <chrono>
#include <ctime>

namespace weft {
namespace {

thread_local LogContext t_context;
thread_local const JsonObject* t_fields = nullptr;

std::string utc_timestamp(spdlog::log_clock::time_point when) {
  const auto since_epoch = when.time_since_epoch();
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(since_epoch);
  const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch - seconds);
  const std::time_t time = seconds.count();
  std::tm tm{};
  gmtime_r(&time, &tm);
  char buffer[40];
  const auto n = std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%S", &tm);
  return std::string(buffer, n) + fmt::format(".{:03d}Z", static_cast<int>(millis.count()));
}

void append(spdlog::memory_buf_t& dest, std::string_view text) {
  dest.append(text.data(), text.data() + text.size());
}

// One record per line; the context and extra fields follow the message.
class LineFormatter final : public spdlog::formatter {
 public:
  explicit LineFormatter(LogFormat format) : format_(format) {}

  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    const std::string_view message(msg.payload.data(), msg.payload.size());
    const auto level = spdlog::level::to_string_view(msg.level);
    if (format_ == LogFormat::JsonLines) {
      JsonObject line{{"ts", utc_timestamp(msg.time)},
                      {"level", std::string_view(level.data(), level.size())},
                      {"msg", message}};
      if (!t_context.trace_id.empty()) line["trace_id"] = t_context.trace_id;
      if (!t_context.execution_id.empty()) line["execution_id"] = t_context.execution_id;
      if (!t_context.step.empty()) line["step"] = t_context.step;
      if (t_fields != nullptr) {
        for (const auto& field : *t_fields) line[field.key()] = field.value();
      }
      append(dest, boost::json::serialize(line));
    } else {
      append(dest, utc_timestamp(msg.time));
      append(dest, " ");
      append(dest, fmt::format("{:<5}", std::string_view(level.data(), level.size())));
      append(dest, " ");
      append(dest, message);
      if (!t_context.trace_id.empty()) append(dest, " trace=" + t_context.trace_id);
      if (!t_context.execution_id.empty()) append(dest, " execution=" + t_context.execution_id);
      if (!t_context.step.empty()) append(dest, " step=" + t_context.step);
      if (t_fields != nullptr) {
        for (const auto& field : *t_fields) {
          append(dest, " ");
          append(dest, field.key());
          append(dest, "=");
          const auto& value = field.value();
          append(dest, value.is_string() ? std::string(value.get_string())
                                         : boost::json::serialize(value));
        }
      }
    }
    append(dest, "\n");
  }

  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<LineFormatter>(format_);
  }

 private:
  LogFormat format_;
};

}  // namespace

void setup_logging(LogFormat format, spdlog::level::level_enum level) {
  auto logger = std::make_shared<spdlog::logger>("weft",
                                                 std::make_shared<spdlog::sinks::stderr_sink_mt>());
  logger->set_formatter(std::make_unique<LineFormatter>(format));
  logger->set_level(level);
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(std::move(logger));
}

LogScope::LogScope(LogContext context) : previous_(std::move(t_context)) {
  t_context = std::move(context);
}

LogScope::~LogScope() { t_context = std::move(previous_); }

void log_with_fields(spdlog::level::level_enum level, std::string_view message,
                     const JsonObject& fields) {
  t_fields = &fields;
  spdlog::log(level, "{}", message);
  t_fields = nullptr;
}

}  // namespace weft
