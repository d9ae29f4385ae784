// An HTTP/1.1 server (Boost.Beast) on its own I/O threads. Requests are read
// and written asynchronously; handlers run on a separate, bounded set of
// handler threads, so a slow or hostile client never holds a thread that does
// work, and a burst beyond the queue is answered 503 at once. Every
// connection has bounded headers and body, read and idle timeouts, and the
// number of open connections is capped.
#pragma once

#include "http/message.hpp"

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>

namespace weft::http {

struct TlsFiles {
  std::string certificate;  // PEM, the chain
  std::string private_key;  // PEM
};

struct ServerOptions {
  std::string host = "127.0.0.1";
  unsigned short port = 8080;  // 0: any free port (see Server::port)
  std::size_t max_body = 1 << 20;
  std::size_t max_header = 16 << 10;
  /// A request (headers and body) must arrive within this once it begins.
  std::chrono::milliseconds read_timeout{10000};
  /// A kept-alive connection with no request for this long is closed.
  std::chrono::milliseconds idle_timeout{60000};
  std::chrono::milliseconds write_timeout{30000};
  std::size_t max_connections = 4096;
  int io_threads = 2;
  int handler_threads = 4;
  std::size_t handler_queue = 1024;  // requests waiting for a handler thread; beyond: 503
  std::optional<TlsFiles> tls;
};

/// Counters the server keeps (for /metrics).
struct ServerStats {
  std::size_t open_connections = 0;
  std::size_t rejected_connections = 0;  // over max_connections
  std::size_t busy_rejections = 0;       // 503: handler queue full
  std::size_t streams = 0;               // open event streams
};

class Server {
 public:
  Server(ServerOptions options, Handler handler);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  /// Binds and starts the threads. Throws std::runtime_error with a message
  /// for people (address in use, bad certificate, ...).
  void start();
  /// The bound port (the chosen one when options.port was 0).
  unsigned short port() const;
  /// Stops accepting; requests being handled finish, kept-alive connections
  /// close after their current response. Returns at once.
  void stop_accepting();
  /// stop_accepting, waits up to `grace` for requests in flight, then closes
  /// every connection (event streams included) and joins the threads.
  void stop(std::chrono::milliseconds grace);

  ServerStats stats() const;

  struct Impl;  // server.cpp's; public for its connection sessions

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace weft::http
