// A real HTTP/1.1 client for the tests (Boost.Beast, optionally TLS): one
// kept-alive connection to a `weft serve --http` host.
#pragma once

#include "common/json.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace weft::test {

struct HttpResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;

  std::string header(const std::string& name) const;
  /// The body as JSON (null when it is not JSON).
  Json json() const;
  /// error.code of an error body, or "".
  std::string error_code() const;
};

class HttpClient {
 public:
  struct Options {
    bool tls = false;
    std::string ca_file;  // with tls: the certificate to trust (verification is always on)
    std::string server_name = "localhost";
  };
  HttpClient(std::string host, unsigned short port);
  HttpClient(std::string host, unsigned short port, Options options);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  /// Sends one request on the kept-alive connection (reconnecting if the host closed it).
  /// Throws std::runtime_error when the host cannot be reached.
  HttpResponse request(const std::string& method, const std::string& target, const std::string& body = {},
                       std::vector<std::pair<std::string, std::string>> headers = {});
  HttpResponse get(const std::string& target) { return request("GET", target); }
  HttpResponse post_json(const std::string& target, const std::string& body) {
    return request("POST", target, body, {{"Content-Type", "application/json"}});
  }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// One Server-Sent Event as a client reads it.
struct SseEvent {
  std::string id;
  std::string event;
  std::string data;
};

/// A client of an event stream (`GET target` on 127.0.0.1:port), read as it comes.
class SseClient {
 public:
  SseClient(unsigned short port, const std::string& target,
            std::vector<std::pair<std::string, std::string>> headers = {});
  ~SseClient();
  SseClient(const SseClient&) = delete;
  SseClient& operator=(const SseClient&) = delete;

  /// The response's status line and headers (read by the constructor).
  const std::string& head() const { return head_; }
  /// Reads events until `done` holds for what was read so far, the stream ends, or `timeout` passes.
  /// Returns every event read (comments are skipped).
  std::vector<SseEvent> read_until(const std::function<bool(const std::vector<SseEvent>&)>& done,
                                   std::chrono::milliseconds timeout);
  /// True once the host closed the stream.
  bool closed() const { return closed_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string head_;
  std::string pending_;
  std::vector<SseEvent> events_;
  bool closed_ = false;
};

/// The port a `weft serve --http 127.0.0.1:0` host logged ("HTTP API on http://...:PORT").
std::optional<unsigned short> logged_http_port(const std::string& log);

/// Sends `bytes` on a fresh connection and returns what the host answers until it
/// closes or `timeout` passes (for requests a normal client cannot make).
std::string raw_exchange(unsigned short port, const std::string& bytes,
                         std::chrono::milliseconds timeout = std::chrono::seconds(5));

}  // namespace weft::test
