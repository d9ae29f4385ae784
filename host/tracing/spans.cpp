#include "tracing/spans.hpp"

#include <cstdio>

namespace weft::tracing {

std::string span_id_of(std::string_view seed) {
  // FNV-1a, 64 bits: ids only need to be stable and spread, not secret.
  std::uint64_t hash = 14695981039346656037ull;
  for (const unsigned char c : seed) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  if (hash == 0) hash = 1;  // all zeros is not a valid span id
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(hash));
  return text;
}

std::string parent_span_of(std::string_view traceparent) {
  // version(2) - trace id(32) - parent id(16) - flags(2)
  if (traceparent.size() < 55 || traceparent[2] != '-' || traceparent[35] != '-' || traceparent[52] != '-') return "";
  const auto parent = traceparent.substr(36, 16);
  for (const char c : parent) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return "";
  }
  if (parent == "0000000000000000") return "";
  return std::string(parent);
}

}  // namespace weft::tracing
