// Durations and rates as written in definitions:
// `250ms 5s 10m 2h 1d`, rates `50%` or `0.5`.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace weft {

using Millis = std::chrono::milliseconds;

/// Parses `250ms`, `5s`, `10m`, `2h`, `1d` (a positive integer or decimal and a unit).
std::optional<Millis> parse_duration(std::string_view text);

/// Parses `50%` or `0.5`; the result is within [0, 1].
std::optional<double> parse_rate(std::string_view text);

/// The shortest exact rendering in the units above (`1500ms`, `2m`, `1d`).
std::string format_duration(Millis value);

}  // namespace weft
