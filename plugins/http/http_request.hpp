// The `http.request` action's input, checked and parsed, and the one
// synchronous HTTP/1.1 exchange it makes with Boost.Beast.
#pragma once

#include <weft/error.hpp>

#include <boost/json.hpp>

#include <chrono>
#include <string>
#include <utility>
#include <vector>

namespace weft_http {

struct Request {
  std::string method = "GET";
  std::string host;
  std::string port = "80";
  std::string target = "/";  // path and query
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  bool json_body = false;
  std::chrono::milliseconds timeout{30000};
};

/// Reads {method, url, headers, body, timeout}; throws weft::Failure("invalid_input"|"unsupported_scheme").
Request parse_request(const weft::Json& input, std::chrono::milliseconds default_timeout);

/// Sends `request`; returns {status, headers, body}. Connection problems and
/// timeouts throw a retryable weft::Error; the status is not interpreted here.
boost::json::object exchange(const Request& request);

}  // namespace weft_http
