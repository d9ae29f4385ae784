#include "http_request.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cinttypes>
#include <cstdio>
#include <random>

namespace weft_http {
namespace {

namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

weft::Failure invalid(const std::string& message) { return weft::Failure("invalid_input", "http.request: " + message); }

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

std::string text_of(const weft::Json& value, const char* what) {
  if (!value.is_string()) throw invalid(std::string(what) + " must be a string");
  return std::string(value.get_string());
}

/// "250ms", "5s", "1m" or a number of milliseconds.
std::chrono::milliseconds parse_timeout(const weft::Json& value) {
  if (value.is_int64() && value.get_int64() > 0) return std::chrono::milliseconds(value.get_int64());
  if (value.is_string()) {
    const std::string text(value.get_string());
    long long number = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
    const std::string unit(end, text.data() + text.size());
    if (ec == std::errc{} && number > 0) {
      if (unit == "ms") return std::chrono::milliseconds(number);
      if (unit == "s") return std::chrono::seconds(number);
      if (unit == "m") return std::chrono::minutes(number);
    }
  }
  throw invalid("timeout must be a duration like 500ms, 5s or 1m, or a number of milliseconds");
}

void parse_url(const std::string& url, Request& request) {
  const auto scheme_end = url.find("://");
  const auto scheme = scheme_end == std::string::npos ? std::string() : lower(url.substr(0, scheme_end));
  if (scheme != "http" && scheme != "https") throw invalid("url must start with http:// or https://, got '" + url + "'");
  request.tls = scheme == "https";
  if (request.tls) request.port = "443";
  const auto authority_start = scheme_end + 3;
  const auto path_start = url.find_first_of("/?", authority_start);
  const auto authority = url.substr(authority_start, path_start == std::string::npos ? std::string::npos
                                                                                      : path_start - authority_start);
  if (path_start != std::string::npos) request.target = url.substr(path_start);
  if (!request.target.empty() && request.target[0] == '?') request.target = "/" + request.target;
  const auto colon = authority.rfind(':');
  request.host = colon == std::string::npos ? authority : authority.substr(0, colon);
  if (colon != std::string::npos) request.port = authority.substr(colon + 1);
  if (request.host.empty() || request.port.empty() || authority.find('@') != std::string::npos)
    throw invalid("url has no usable host: '" + url + "'");
}

weft::Error connection_error(const Request& request, const boost::system::error_code& ec, const char* doing) {
  const bool timed_out = ec == beast::error::timeout;
  return weft::Error(timed_out ? "timeout" : "connection",
                     std::string("http.request: ") + (timed_out ? "timed out while " : "failed while ") + doing + " " +
                         request.host + ":" + request.port + ": " + ec.message(),
                     true);
}

/// Runs one asynchronous operation to completion, so tcp_stream's deadline applies to it.
template <typename Start>
boost::system::error_code run_one(net::io_context& io, Start&& start) {
  boost::system::error_code result;
  start([&result](boost::system::error_code ec, auto&&...) { result = ec; });
  io.restart();
  io.run();
  return result;
}

/// The time left of one exchange's timeout.
class Deadline {
 public:
  explicit Deadline(std::chrono::milliseconds timeout) : at_(std::chrono::steady_clock::now() + timeout) {}
  std::chrono::steady_clock::duration left() const {
    return std::max(std::chrono::steady_clock::duration::zero(), at_ - std::chrono::steady_clock::now());
  }

 private:
  std::chrono::steady_clock::time_point at_;
};

void connect(net::io_context& io, beast::tcp_stream& stream, const Request& request, const Deadline& deadline) {
  tcp::resolver resolver(io);
  tcp::resolver::results_type endpoints;
  auto ec = run_one(io, [&](auto handler) {
    resolver.async_resolve(request.host, request.port,
                           [&endpoints, handler](boost::system::error_code error, tcp::resolver::results_type found) mutable {
                             endpoints = std::move(found);
                             handler(error);
                           });
  });
  if (ec) throw connection_error(request, ec, "resolving");
  stream.expires_after(deadline.left());
  ec = run_one(io, [&](auto handler) { stream.async_connect(endpoints, handler); });
  if (ec) throw connection_error(request, ec, "connecting to");
}

/// The TLS handshake: SNI names the host (unless it is an IP address), and the
/// certificate must verify against the context's CAs and match the host.
void handshake(net::io_context& io, beast::ssl_stream<beast::tcp_stream>& stream, const Request& request,
               const Deadline& deadline) {
  boost::system::error_code not_an_address;
  net::ip::make_address(request.host, not_an_address);
  const bool address = !not_an_address;
  SSL* ssl = stream.native_handle();
  if (!address && SSL_set_tlsext_host_name(ssl, request.host.c_str()) != 1)
    throw invalid("the host name '" + request.host + "' cannot be sent in TLS (SNI)");
  stream.set_verify_mode(net::ssl::verify_peer);
  stream.set_verify_callback([check = net::ssl::host_name_verification(request.host), address](
                                 bool preverified, net::ssl::verify_context& context) {
    if (check(preverified, context)) return true;
    // A preverified certificate fails only the name check here: record OpenSSL's reason for it.
    if (preverified)
      X509_STORE_CTX_set_error(context.native_handle(),
                               address ? X509_V_ERR_IP_ADDRESS_MISMATCH : X509_V_ERR_HOSTNAME_MISMATCH);
    return false;
  });
  beast::get_lowest_layer(stream).expires_after(deadline.left());
  const auto ec = run_one(io, [&](auto handler) { stream.async_handshake(net::ssl::stream_base::client, handler); });
  if (!ec) return;
  const auto verdict = SSL_get_verify_result(ssl);
  if (ec != beast::error::timeout && verdict != X509_V_OK) {
    throw weft::Failure("tls_verification_failed", "http.request: the certificate of " + request.host + ":" +
                                                       request.port + " did not verify: " +
                                                       X509_verify_cert_error_string(verdict));
  }
  throw connection_error(request, ec, "negotiating TLS with");
}

/// Sends the request on a connected (and for https://, TLS) stream and reads the response.
template <typename Stream>
boost::json::object send_and_read(net::io_context& io, Stream& stream, const Request& request,
                                  const Deadline& deadline) {
  http::request<http::string_body> message{http::string_to_verb(request.method), request.target, 11};
  message.set(http::field::host, request.host);
  message.set(http::field::user_agent, "weft-http/1.0");
  if (request.json_body) message.set(http::field::content_type, "application/json");
  for (const auto& [name, value] : request.headers) message.set(name, value);
  message.body() = request.body;
  message.prepare_payload();
  auto& lowest = beast::get_lowest_layer(stream);
  lowest.expires_after(deadline.left());
  auto ec = run_one(io, [&](auto handler) { http::async_write(stream, message, handler); });
  if (ec) throw connection_error(request, ec, "sending to");

  beast::flat_buffer buffer;
  http::response<http::string_body> response;
  lowest.expires_after(deadline.left());
  ec = run_one(io, [&](auto handler) { http::async_read(stream, buffer, response, handler); });
  if (ec) throw connection_error(request, ec, "reading the response from");
  boost::system::error_code ignored;
  lowest.socket().shutdown(tcp::socket::shutdown_both, ignored);

  boost::json::object headers;
  for (const auto& field : response) {
    const auto name = field.name_string();
    const auto value = field.value();
    headers[lower(std::string_view(name.data(), name.size()))] = std::string_view(value.data(), value.size());
  }
  boost::json::value body(std::string_view(response.body()));
  const auto* type = headers.if_contains("content-type");
  if (type != nullptr && lower(std::string_view(type->get_string())).find("json") != std::string::npos) {
    boost::json::error_code parse_error;
    auto parsed = boost::json::parse(response.body(), parse_error);
    if (!parse_error) body = std::move(parsed);
  }
  return boost::json::object{{"status", response.result_int()}, {"headers", std::move(headers)}, {"body", std::move(body)}};
}

/// 32 lower-case hex digits, not all zero (W3C trace context).
bool is_trace_id(std::string_view text) {
  return text.size() == 32 && text.find_first_not_of("0123456789abcdef") == std::string_view::npos &&
         text.find_first_not_of('0') != std::string_view::npos;
}

}  // namespace

Request parse_request(const weft::Json& input, std::chrono::milliseconds default_timeout) {
  if (!input.is_object()) throw invalid("the input must be an object with at least `url`");
  const auto& object = input.get_object();
  for (const auto& entry : object) {
    const auto key = entry.key();
    if (key != "method" && key != "url" && key != "headers" && key != "body" && key != "timeout")
      throw invalid("unknown input key '" + std::string(key) + "' (method url headers body timeout)");
  }
  Request request;
  request.timeout = default_timeout;
  const auto* url = object.if_contains("url");
  if (url == nullptr) throw invalid("`url` is required");
  parse_url(text_of(*url, "url"), request);
  if (const auto* method = object.if_contains("method")) {
    request.method = text_of(*method, "method");
    std::transform(request.method.begin(), request.method.end(), request.method.begin(),
                   [](unsigned char c) { return std::toupper(c); });
    if (http::string_to_verb(request.method) == http::verb::unknown)
      throw invalid("unknown method '" + request.method + "'");
  }
  if (const auto* headers = object.if_contains("headers")) {
    if (!headers->is_object()) throw invalid("headers must be an object of names to strings");
    for (const auto& header : headers->get_object())
      request.headers.emplace_back(std::string(header.key()), text_of(header.value(), "a header value"));
  }
  if (const auto* body = object.if_contains("body"); body != nullptr && !body->is_null()) {
    request.json_body = !body->is_string();
    request.body = body->is_string() ? std::string(body->get_string()) : boost::json::serialize(*body);
  }
  if (const auto* timeout = object.if_contains("timeout")) request.timeout = parse_timeout(*timeout);
  return request;
}

std::shared_ptr<net::ssl::context> tls_client_context(const std::string& ca_file) {
  auto context = std::make_shared<net::ssl::context>(net::ssl::context::tls_client);
  if (SSL_CTX_set_min_proto_version(context->native_handle(), TLS1_2_VERSION) != 1)
    throw weft::Failure("invalid_config", "http plugin: OpenSSL refused to require TLS 1.2 or newer");
  context->set_verify_mode(net::ssl::verify_peer);
  boost::system::error_code ec;
  if (ca_file.empty()) {
    context->set_default_verify_paths(ec);
    if (ec) throw weft::Failure("invalid_config", "http plugin: the system CA store cannot be used: " + ec.message());
  } else {
    context->load_verify_file(ca_file, ec);
    if (ec) {
      throw weft::Failure("invalid_config",
                          "http plugin settings: `ca_file` '" + ca_file + "' cannot be loaded: " + ec.message());
    }
  }
  return context;
}

void add_traceparent(Request& request, const std::string& trace_id) {
  if (!is_trace_id(trace_id)) return;
  for (const auto& header : request.headers) {
    if (lower(header.first) == "traceparent") return;
  }
  std::random_device random;
  std::uint64_t span = 0;
  while (span == 0) span = (std::uint64_t{random()} << 32) | random();
  char span_id[17];
  std::snprintf(span_id, sizeof span_id, "%016" PRIx64, span);
  request.headers.emplace_back("traceparent", "00-" + trace_id + "-" + span_id + "-01");
}

boost::json::object exchange(const Request& request, net::ssl::context& tls) {
  net::io_context io;
  const Deadline deadline(request.timeout);
  if (!request.tls) {
    beast::tcp_stream stream(io);
    connect(io, stream, request, deadline);
    return send_and_read(io, stream, request, deadline);
  }
  beast::ssl_stream<beast::tcp_stream> stream(io, tls);
  connect(io, beast::get_lowest_layer(stream), request, deadline);
  handshake(io, stream, request, deadline);
  return send_and_read(io, stream, request, deadline);
}

}  // namespace weft_http
