#include "common/ids.hpp"

#include <array>
#include <chrono>
#include <cstdint>
#include <random>

namespace weft {
namespace {

std::mt19937_64& thread_rng() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return rng;
}

std::string random_hex(std::size_t digits) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(digits);
  std::uint64_t bits = 0;
  for (std::size_t i = 0; i < digits; ++i) {
    if (i % 16 == 0) bits = thread_rng()();
    out.push_back(kHex[bits & 0xf]);
    bits >>= 4;
  }
  return out;
}

bool is_lower_hex(std::string_view text) {
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace

std::string new_uuid() {
  static constexpr char kHex[] = "0123456789abcdef";
  const auto millis = static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                     std::chrono::system_clock::now().time_since_epoch())
                                                     .count());
  std::string id = random_hex(32);
  for (int i = 0; i < 12; ++i) id[static_cast<std::size_t>(i)] = kHex[(millis >> (44 - 4 * i)) & 0xf];
  id[12] = '7';                                             // version 7: Unix milliseconds first
  id[16] = "89ab"[static_cast<unsigned char>(id[16]) & 3];  // RFC 9562 variant
  for (const std::size_t at : {8, 13, 18, 23}) id.insert(at, 1, '-');  // 8-4-4-4-12
  return id;
}

std::string new_trace_id() {
  for (;;) {
    std::string id = random_hex(32);
    if (id != std::string(32, '0')) return id;
  }
}

std::optional<std::string> trace_id_from_traceparent(std::string_view traceparent) {
  // version(2) - trace-id(32) - parent-id(16) - flags(2)
  if (traceparent.size() < 55 || traceparent[2] != '-' || traceparent[35] != '-' ||
      traceparent[52] != '-')
    return std::nullopt;
  const auto trace_id = traceparent.substr(3, 32);
  if (!is_lower_hex(traceparent.substr(0, 2)) || !is_lower_hex(trace_id) ||
      !is_lower_hex(traceparent.substr(36, 16)) || trace_id == std::string(32, '0'))
    return std::nullopt;
  return std::string(trace_id);
}

bool is_uuid(std::string_view text) {
  if (text.size() != 36) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
      return false;
    }
  }
  return true;
}

}  // namespace weft
