#include "http_api/list_params.hpp"

#include "routing/event.hpp"

#include <openssl/sha.h>

#include <charconv>
#include <ctime>
#include <set>

namespace weft::http_api {
namespace {

constexpr int kMaxLimit = 1000;

const std::set<std::string>& statuses() {
  static const std::set<std::string> known = {"pending",   "running",     "waiting",   "compensating", "completed",
                                              "compensated", "failed",    "cancelled", "timed_out"};
  return known;
}

std::string checksum(const std::string& payload) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(payload.data()), payload.size(), digest);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string text;
  for (int i = 0; i < 6; ++i) {
    text.push_back(kHex[digest[i] >> 4]);
    text.push_back(kHex[digest[i] & 0xf]);
  }
  return text;
}

int digits(const std::string& text, std::size_t at, std::size_t count) {
  int value = 0;
  for (std::size_t i = at; i < at + count; ++i) value = value * 10 + (text[i] - '0');
  return value;
}

bool is_uuid(const std::string& text) {
  if (text.size() != 36) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::optional<store::EpochMillis> parse_time(const std::string& text) {
  if (!routing::is_rfc3339_timestamp(text)) return std::nullopt;
  std::tm tm{};
  tm.tm_year = digits(text, 0, 4) - 1900;
  tm.tm_mon = digits(text, 5, 2) - 1;
  tm.tm_mday = digits(text, 8, 2);
  tm.tm_hour = digits(text, 11, 2);
  tm.tm_min = digits(text, 14, 2);
  tm.tm_sec = std::min(59, digits(text, 17, 2));
  std::int64_t millis = static_cast<std::int64_t>(timegm(&tm)) * 1000;
  std::size_t pos = 19;
  if (text[pos] == '.') {
    int scale = 100;
    for (++pos; pos < text.size() && text[pos] >= '0' && text[pos] <= '9'; ++pos) {
      millis += (text[pos] - '0') * scale;
      scale /= 10;
    }
  }
  if (text[pos] == '+' || text[pos] == '-') {
    const int offset = (digits(text, pos + 1, 2) * 60 + digits(text, pos + 4, 2)) * 60000;
    millis += text[pos] == '+' ? -offset : offset;
  }
  return millis;
}

std::string encode_cursor(const store::PageKey& key) {
  const auto payload = std::to_string(key.at_us) + "." + key.id;
  return payload + "." + checksum(payload);
}

std::optional<store::PageKey> decode_cursor(const std::string& cursor) {
  const auto first = cursor.find('.');
  const auto last = cursor.rfind('.');
  if (first == std::string::npos || last == first) return std::nullopt;
  const auto payload = cursor.substr(0, last);
  if (checksum(payload) != cursor.substr(last + 1)) return std::nullopt;
  store::PageKey key;
  const auto* begin = cursor.data();
  const auto [end, ec] = std::from_chars(begin, begin + first, key.at_us);
  if (ec != std::errc{} || end != begin + first) return std::nullopt;
  key.id = cursor.substr(first + 1, last - first - 1);
  if (!is_uuid(key.id)) return std::nullopt;
  return key;
}

std::optional<store::ListFilter> read_list_filter(const http::Fields& parameters, std::string& error) {
  store::ListFilter filter;
  for (const auto& [name, value] : parameters) {
    if (name == "workflow") {
      filter.workflow = value;
    } else if (name == "status") {
      if (!statuses().count(value)) {
        error = "unknown status '" + value +
                "' (pending running waiting compensating completed compensated failed cancelled timed_out)";
        return std::nullopt;
      }
      filter.status = value;
    } else if (name == "key") {
      filter.key = value;
    } else if (name == "since" || name == "until") {
      const auto at = parse_time(value);
      if (!at) {
        error = name + " must be an RFC 3339 time such as 2026-12-07T10:00:00Z, got '" + value + "'";
        return std::nullopt;
      }
      (name == "since" ? filter.since : filter.until) = *at;
    } else if (name == "limit") {
      int limit = 0;
      const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), limit);
      if (ec != std::errc{} || end != value.data() + value.size() || limit < 1 || limit > kMaxLimit) {
        error = "limit must be an integer from 1 to " + std::to_string(kMaxLimit) + ", got '" + value + "'";
        return std::nullopt;
      }
      filter.limit = limit;
    } else if (name == "cursor") {
      filter.after = decode_cursor(value);
      if (!filter.after) {
        error = "cursor is not one this API gave out (pass next_cursor of the previous page unchanged)";
        return std::nullopt;
      }
    } else {
      error = "unknown parameter '" + name + "' (workflow status key since until limit cursor)";
      return std::nullopt;
    }
  }
  return filter;
}

}  // namespace weft::http_api
