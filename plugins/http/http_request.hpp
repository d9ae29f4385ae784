// The `http.request` action's input, checked and parsed, and the one
// synchronous HTTP/1.1 exchange it makes with Boost.Beast (over TLS for https://).
#pragma once

#include <weft/error.hpp>

#include <boost/asio/ssl/context.hpp>
#include <boost/json.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace weft_http {

struct Request {
  std::string method = "GET";
  bool tls = false;  // https://
  std::string host;
  std::string port = "80";  // 443 for https://
  std::string target = "/";  // path and query
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  bool json_body = false;
  std::chrono::milliseconds timeout{30000};
};

/// Reads {method, url, headers, body, timeout}; throws weft::Failure("invalid_input").
Request parse_request(const weft::Json& input, std::chrono::milliseconds default_timeout);

/// The TLS client settings every https:// request shares: TLS 1.2 or newer,
/// peer verification on, trusting the PEM certificates in `ca_file`, or the
/// system store when it is empty. Throws weft::Failure("invalid_config") when
/// `ca_file` cannot be loaded.
std::shared_ptr<boost::asio::ssl::context> tls_client_context(const std::string& ca_file);

/// Adds `traceparent: 00-<trace_id>-<random span id>-01` unless the request
/// sets that header already or `trace_id` is not a W3C trace id.
void add_traceparent(Request& request, const std::string& trace_id);

/// Sends `request` (`tls` is used for https://); returns {status, headers, body}.
/// Connection and handshake problems and timeouts throw a retryable weft::Error;
/// a server certificate that does not verify throws weft::Failure("tls_verification_failed").
/// The status is not interpreted here.
boost::json::object exchange(const Request& request, boost::asio::ssl::context& tls);

}  // namespace weft_http
