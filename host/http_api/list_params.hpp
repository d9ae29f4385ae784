// Filters and pages of the list endpoints and bulk actions: `workflow`,
// `status`, `key`, `since`, `until` (RFC 3339), `limit` (1..1000) and the
// opaque `cursor` a previous page returned as `next_cursor`.
#pragma once

#include "http/message.hpp"
#include "store/records.hpp"

#include <optional>
#include <string>

namespace weft::http_api {

/// The filter, or nullopt with `error` set to what is wrong (answered 400).
std::optional<store::ListFilter> read_list_filter(const http::Fields& parameters, std::string& error);

/// The text of a cursor for `key`; a checksum makes an edited cursor detectable.
std::string encode_cursor(const store::PageKey& key);
std::optional<store::PageKey> decode_cursor(const std::string& cursor);

/// Epoch milliseconds of an RFC 3339 time (`2026-12-07T10:00:00Z`, fraction and offset allowed).
std::optional<store::EpochMillis> parse_time(const std::string& text);

}  // namespace weft::http_api
