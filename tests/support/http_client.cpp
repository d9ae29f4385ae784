#include "support/http_client.hpp"

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <openssl/ssl.h>

#include <poll.h>

#include <regex>
#include <stdexcept>

namespace weft::test {
namespace {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = net::ip::tcp;

}  // namespace

std::string HttpResponse::header(const std::string& name) const {
  for (const auto& [key, value] : headers) {
    if (key == name) return value;
  }
  return {};
}

Json HttpResponse::json() const {
  auto parsed = parse_json(body);
  return parsed ? *parsed : Json(nullptr);
}

std::string HttpResponse::error_code() const {
  const auto value = json();
  const auto* code = find_path(value, "error.code");
  return code && code->is_string() ? std::string(code->get_string()) : std::string();
}

struct HttpClient::Impl {
  std::string host;
  unsigned short port;
  Options options;
  net::io_context io;
  std::optional<ssl::context> tls_context;
  std::optional<beast::tcp_stream> plain;
  std::optional<beast::ssl_stream<beast::tcp_stream>> secure;
  beast::flat_buffer buffer;

  void connect() {
    tcp::resolver resolver(io);
    const auto endpoints = resolver.resolve(host, std::to_string(port));
    buffer.clear();
    if (options.tls) {
      secure.emplace(io, *tls_context);
      if (!SSL_set_tlsext_host_name(secure->native_handle(), options.server_name.c_str()))
        throw std::runtime_error("cannot set SNI");
      secure->set_verify_callback(ssl::host_name_verification(options.server_name));
      beast::get_lowest_layer(*secure).expires_after(std::chrono::seconds(10));
      beast::get_lowest_layer(*secure).connect(endpoints);
      secure->handshake(ssl::stream_base::client);
    } else {
      plain.emplace(io);
      plain->expires_after(std::chrono::seconds(10));
      plain->connect(endpoints);
    }
  }
  bool connected() const { return options.tls ? secure.has_value() : plain.has_value(); }
  void drop() {
    plain.reset();
    secure.reset();
  }

  template <class Stream>
  HttpResponse exchange(Stream& stream, bhttp::request<bhttp::string_body>& request) {
    beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(30));
    bhttp::write(stream, request);
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(64 << 20);
    bhttp::read(stream, buffer, parser);
    const auto& message = parser.get();
    HttpResponse response;
    response.status = static_cast<int>(message.result_int());
    for (const auto& field : message) {
      std::string name(field.name_string());
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      response.headers.emplace_back(std::move(name), std::string(field.value()));
    }
    response.body = message.body();
    if (!message.keep_alive()) drop();
    return response;
  }
};

HttpClient::HttpClient(std::string host, unsigned short port) : HttpClient(std::move(host), port, Options{}) {}

HttpClient::HttpClient(std::string host, unsigned short port, Options options) : impl_(std::make_unique<Impl>()) {
  impl_->host = std::move(host);
  impl_->port = port;
  impl_->options = std::move(options);
  if (impl_->options.tls) {
    impl_->tls_context.emplace(ssl::context::tls_client);
    impl_->tls_context->set_verify_mode(ssl::verify_peer);
    if (!impl_->options.ca_file.empty()) impl_->tls_context->load_verify_file(impl_->options.ca_file);
  }
}

HttpClient::~HttpClient() = default;

HttpResponse HttpClient::request(const std::string& method, const std::string& target, const std::string& body,
                                 std::vector<std::pair<std::string, std::string>> headers) {
  bhttp::request<bhttp::string_body> request(bhttp::string_to_verb(method), target, 11);
  request.set(bhttp::field::host, impl_->host);
  request.keep_alive(true);
  for (const auto& [name, value] : headers) request.set(name, value);
  request.body() = body;
  request.prepare_payload();
  for (int attempt = 0;; ++attempt) {
    try {
      if (!impl_->connected()) impl_->connect();
      return impl_->options.tls ? impl_->exchange(*impl_->secure, request) : impl_->exchange(*impl_->plain, request);
    } catch (const boost::system::system_error& error) {
      impl_->drop();
      // A kept-alive connection the host closed meanwhile: one fresh try.
      if (attempt == 0 && (error.code() == bhttp::error::end_of_stream || error.code() == net::error::eof ||
                           error.code() == net::error::connection_reset || error.code() == net::error::broken_pipe))
        continue;
      throw std::runtime_error(method + " " + target + ": " + error.code().message());
    }
  }
}

struct SseClient::Impl {
  net::io_context io;
  tcp::socket socket{io};
};

SseClient::SseClient(unsigned short port, const std::string& target,
                     std::vector<std::pair<std::string, std::string>> headers)
    : impl_(std::make_unique<Impl>()) {
  impl_->socket.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
  std::string request = "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n";
  for (const auto& [name, value] : headers) request += name + ": " + value + "\r\n";
  request += "\r\n";
  net::write(impl_->socket, net::buffer(request));
  // The head, then whatever came with it.
  std::string received;
  char chunk[4096];
  while (received.find("\r\n\r\n") == std::string::npos) {
    beast::error_code ec;
    const auto n = impl_->socket.read_some(net::buffer(chunk), ec);
    received.append(chunk, n);
    if (ec) {
      closed_ = true;
      break;
    }
  }
  const auto end = received.find("\r\n\r\n");
  head_ = received.substr(0, end);
  if (end != std::string::npos) pending_ = received.substr(end + 4);
}

SseClient::~SseClient() = default;

std::vector<SseEvent> SseClient::read_until(const std::function<bool(const std::vector<SseEvent>&)>& done,
                                            std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    // Whole events in what was read: blocks separated by a blank line.
    for (auto end = pending_.find("\n\n"); end != std::string::npos; end = pending_.find("\n\n")) {
      const auto block = pending_.substr(0, end);
      pending_.erase(0, end + 2);
      SseEvent event;
      bool any = false;
      std::size_t start = 0;
      while (start <= block.size()) {
        const auto newline = block.find('\n', start);
        const auto line = block.substr(start, newline == std::string::npos ? std::string::npos : newline - start);
        const auto colon = line.find(':');
        if (colon != 0 && colon != std::string::npos) {
          const auto field = line.substr(0, colon);
          auto value = line.substr(colon + 1);
          if (!value.empty() && value[0] == ' ') value.erase(0, 1);
          if (field == "id") event.id = value, any = true;
          if (field == "event") event.event = value, any = true;
          if (field == "data") event.data += value, any = true;
        }
        if (newline == std::string::npos) break;
        start = newline + 1;
      }
      if (any && (!event.data.empty() || !event.id.empty())) events_.push_back(std::move(event));
    }
    if (done(events_) || closed_ || std::chrono::steady_clock::now() >= deadline) return events_;
    // Wait for more, a little at a time, so the deadline holds.
    pollfd fd{impl_->socket.native_handle(), POLLIN, 0};
    if (::poll(&fd, 1, 100) <= 0) continue;
    char chunk[8192];
    beast::error_code ec;
    const auto n = impl_->socket.read_some(net::buffer(chunk), ec);
    pending_.append(chunk, n);
    if (ec) closed_ = true;
  }
}

std::optional<unsigned short> logged_http_port(const std::string& log) {
  static const std::regex pattern(R"(HTTP API on https?://[^\s]*:(\d+))");
  std::smatch match;
  if (!std::regex_search(log, match, pattern)) return std::nullopt;
  return static_cast<unsigned short>(std::stoi(match[1].str()));
}

std::string raw_exchange(unsigned short port, const std::string& bytes, std::chrono::milliseconds timeout) {
  net::io_context io;
  beast::tcp_stream stream(io);
  stream.expires_after(timeout);
  stream.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
  std::string answer;
  beast::error_code ec;
  net::write(stream.socket(), net::buffer(bytes), ec);
  char chunk[4096];
  for (;;) {
    stream.expires_after(timeout);
    const auto n = stream.read_some(net::buffer(chunk), ec);
    answer.append(chunk, n);
    if (ec) break;
  }
  return answer;
}

}  // namespace weft::test
