#include "http/access.hpp"

#include <boost/asio/ip/address.hpp>

namespace weft::http {

bool is_loopback(std::string_view host) {
  if (host == "localhost") return true;
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address(std::string(host), ec);
  return !ec && address.is_loopback();
}

bool constant_time_equals(std::string_view a, std::string_view b) {
  // Every byte of the longer string is read whatever the contents.
  const std::size_t length = std::max(a.size(), b.size());
  unsigned char difference = a.size() == b.size() ? 0 : 1;
  for (std::size_t i = 0; i < length; ++i) {
    const auto x = static_cast<unsigned char>(i < a.size() ? a[i] : 0);
    const auto y = static_cast<unsigned char>(i < b.size() ? b[i] : 0);
    difference |= static_cast<unsigned char>(x ^ y);
  }
  return difference == 0;
}

std::optional<std::string> refusal(const Request& request, const std::optional<std::string>& token) {
  if (!token) return std::nullopt;
  const auto* header = request.header("authorization");
  if (header == nullptr) return "this host requires a token: send 'Authorization: Bearer <WEFT_API_TOKEN>'";
  constexpr std::string_view kScheme = "Bearer ";
  const std::string_view value(*header);
  if (value.size() < kScheme.size() || !std::equal(kScheme.begin(), kScheme.end(), value.begin(),
                                                   [](char x, char y) { return std::tolower(x) == std::tolower(y); }))
    return "the Authorization header must be 'Bearer <token>'";
  if (!constant_time_equals(value.substr(kScheme.size()), *token)) return "the token is not valid";
  return std::nullopt;
}

}  // namespace weft::http
