#include "http_request.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>

namespace weft_http {
namespace {

namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

weft::Failure invalid(const std::string& message) { return weft::Failure("invalid_input", "http.request: " + message); }

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
  if (scheme_end == std::string::npos) throw invalid("url must start with http://, got '" + url + "'");
  std::string scheme = url.substr(0, scheme_end);
  std::transform(scheme.begin(), scheme.end(), scheme.begin(), [](unsigned char c) { return std::tolower(c); });
  if (scheme == "https") {
    throw weft::Failure("unsupported_scheme",
                        "http.request: https:// is not supported yet; call an http:// endpoint (for example "
                        "through a TLS-terminating proxy)");
  }
  if (scheme != "http") throw invalid("url must start with http://, got '" + url + "'");
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

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
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

boost::json::object exchange(const Request& request) {
  net::io_context io;
  tcp::resolver resolver(io);
  beast::tcp_stream stream(io);
  const auto deadline = std::chrono::steady_clock::now() + request.timeout;
  const auto remaining = [&] {
    return std::max(std::chrono::steady_clock::duration::zero(), deadline - std::chrono::steady_clock::now());
  };

  tcp::resolver::results_type endpoints;
  auto ec = run_one(io, [&](auto handler) {
    resolver.async_resolve(request.host, request.port,
                           [&endpoints, handler](boost::system::error_code error, tcp::resolver::results_type found) mutable {
                             endpoints = std::move(found);
                             handler(error);
                           });
  });
  if (ec) throw connection_error(request, ec, "resolving");
  stream.expires_after(remaining());
  ec = run_one(io, [&](auto handler) { stream.async_connect(endpoints, handler); });
  if (ec) throw connection_error(request, ec, "connecting to");

  http::request<http::string_body> message{http::string_to_verb(request.method), request.target, 11};
  message.set(http::field::host, request.host);
  message.set(http::field::user_agent, "weft-http/1.0");
  if (request.json_body) message.set(http::field::content_type, "application/json");
  for (const auto& [name, value] : request.headers) message.set(name, value);
  message.body() = request.body;
  message.prepare_payload();
  stream.expires_after(remaining());
  ec = run_one(io, [&](auto handler) { http::async_write(stream, message, handler); });
  if (ec) throw connection_error(request, ec, "sending to");

  beast::flat_buffer buffer;
  http::response<http::string_body> response;
  stream.expires_after(remaining());
  ec = run_one(io, [&](auto handler) { http::async_read(stream, buffer, response, handler); });
  if (ec) throw connection_error(request, ec, "reading the response from");
  boost::system::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);

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

}  // namespace weft_http
