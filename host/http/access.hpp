// Who may talk to the API: loopback needs nothing; anything beyond it needs
// the bearer token (WEFT_API_TOKEN), compared in constant time.
#pragma once

#include "http/message.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace weft::http {

/// True for 127.0.0.0/8, ::1 and `localhost`.
bool is_loopback(std::string_view host);

/// Equal strings, in time that depends on their lengths only.
bool constant_time_equals(std::string_view a, std::string_view b);

/// With a token, the request must carry `Authorization: Bearer <token>`.
/// Nullopt when allowed; otherwise the reason to answer 401 with.
std::optional<std::string> refusal(const Request& request, const std::optional<std::string>& token);

}  // namespace weft::http
