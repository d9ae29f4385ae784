#include "cli/format.hpp"

#include <spdlog/fmt/fmt.h>

namespace weft::cli {

std::string format_elapsed(std::int64_t millis) {
  if (millis < 1000) return std::to_string(millis) + "ms";
  if (millis < 60000) return fmt::format("{:.2f}s", static_cast<double>(millis) / 1000.0);
  return fmt::format("{}m{}s", millis / 60000, (millis % 60000) / 1000);
}

std::string brief(const Json& value, std::size_t max_length) {
  std::string text = value.is_string() ? std::string(value.get_string()) : to_json_text(value);
  if (text.size() > max_length) text = text.substr(0, max_length - 3) + "...";
  return text;
}

}  // namespace weft::cli
