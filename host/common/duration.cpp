#include "common/duration.hpp"

#include <charconv>
#include <cmath>

namespace weft {
namespace {

std::optional<double> parse_number(std::string_view text) {
  if (text.empty() || text.front() == '+' || text.front() == '-') return std::nullopt;
  double value = 0;
  const auto* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc{} || ptr != end || !std::isfinite(value)) return std::nullopt;
  return value;
}

}  // namespace

std::optional<Millis> parse_duration(std::string_view text) {
  struct Unit {
    std::string_view suffix;
    double millis;
  };
  // "ms" before "m" and "s": the longest suffix decides.
  static constexpr Unit kUnits[] = {
      {"ms", 1.0}, {"s", 1e3}, {"m", 60e3}, {"h", 3600e3}, {"d", 86400e3}};
  for (const auto& unit : kUnits) {
    if (text.size() <= unit.suffix.size() || !text.ends_with(unit.suffix)) continue;
    const auto number = parse_number(text.substr(0, text.size() - unit.suffix.size()));
    if (!number) return std::nullopt;
    const double millis = *number * unit.millis;
    if (millis > 1e15 || millis != std::floor(millis)) return std::nullopt;
    return Millis{static_cast<long long>(millis)};
  }
  return std::nullopt;
}

std::optional<double> parse_rate(std::string_view text) {
  std::optional<double> value;
  if (text.ends_with('%')) {
    value = parse_number(text.substr(0, text.size() - 1));
    if (value) *value /= 100.0;
  } else {
    value = parse_number(text);
  }
  if (!value || *value < 0.0 || *value > 1.0) return std::nullopt;
  return value;
}

std::string format_duration(Millis value) {
  const long long ms = value.count();
  struct Unit {
    const char* suffix;
    long long millis;
  };
  static constexpr Unit kUnits[] = {{"d", 86400000}, {"h", 3600000}, {"m", 60000}, {"s", 1000}};
  if (ms != 0) {
    for (const auto& unit : kUnits) {
      if (ms % unit.millis == 0) return std::to_string(ms / unit.millis) + unit.suffix;
    }
  }
  return std::to_string(ms) + "ms";
}

}  // namespace weft
