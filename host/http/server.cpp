#include "http/server.hpp"

#include "common/thread_name.hpp"
#include "http/error_codes.hpp"
#include "http/handler_pool.hpp"
#include "http/target.hpp"

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <spdlog/spdlog.h>

#include <atomic>
#include <stdexcept>
#include <thread>

namespace weft::http {
namespace {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = net::ip::tcp;

constexpr const char* kServerName = "weft";

}  // namespace

// Members are destroyed in reverse order: `io` (whose pending handlers own
// the sessions) goes before the counters and the pool the sessions use.
struct Server::Impl {
  Impl(ServerOptions options_in, Handler handler_in)
      : options(std::move(options_in)),
        handler(std::move(handler_in)),
        pool(options.handler_threads, options.handler_queue) {}

  ServerOptions options;
  Handler handler;
  std::atomic<bool> draining{false};
  std::atomic<std::size_t> open{0};
  std::atomic<std::size_t> rejected{0};
  std::atomic<std::size_t> busy{0};
  std::atomic<std::size_t> streams{0};
  std::atomic<std::size_t> in_flight{0};  // requests read and not yet answered
  HandlerPool pool;
  unsigned short bound_port = 0;

  net::io_context io{options.io_threads};
  std::optional<ssl::context> tls;
  std::optional<tcp::acceptor> acceptor;
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work;
  std::vector<std::thread> threads;

  void accept();
  template <class Stream>
  void launch(Stream stream);
};

namespace {

/// One connection: reads requests one at a time (no pipelining), hands each
/// to the handler pool and writes its response; or, for an event stream,
/// writes events until either side ends it.
template <class Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
 public:
  static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;

  Session(Server::Impl* server, Stream stream) : server_(server), stream_(std::move(stream)) {
    ++server_->open;
  }

  ~Session() {
    if (events_) {
      events_->stop();
      --server_->streams;
    }
    --server_->open;
  }

  void run() {
    if constexpr (kTls) {
      lowest().expires_after(server_->options.read_timeout);
      stream_.async_handshake(ssl::stream_base::server,
                              [self = this->shared_from_this()](beast::error_code ec) {
                                if (ec) return self->close();
                                self->read_header();
                              });
    } else {
      read_header();
    }
  }

 private:
  beast::tcp_stream& lowest() { return beast::get_lowest_layer(stream_); }

  void read_header() {
    if (server_->draining) return close();
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(server_->options.max_header));
    parser_->body_limit(server_->options.max_body);
    lowest().expires_after(first_ ? server_->options.read_timeout : server_->options.idle_timeout);
    bhttp::async_read_header(stream_, buffer_, *parser_,
                             [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                               self->on_header(ec);
                             });
  }

  void on_header(beast::error_code ec) {
    first_ = false;
    if (ec) return refuse_read(ec);
    lowest().expires_after(server_->options.read_timeout);
    const auto& header = parser_->get();
    const auto expect = header[bhttp::field::expect];
    if (beast::iequals(expect, "100-continue")) {
      // The client waits for this before it sends the body.
      auto text = std::make_shared<std::string>("HTTP/1.1 100 Continue\r\n\r\n");
      net::async_write(stream_, net::buffer(*text),
                       [self = this->shared_from_this(), text](beast::error_code write_ec, std::size_t) {
                         if (write_ec) return self->close();
                         self->read_body();
                       });
      return;
    }
    read_body();
  }

  void read_body() {
    bhttp::async_read(stream_, buffer_, *parser_,
                      [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                        if (ec) return self->refuse_read(ec);
                        self->dispatch();
                      });
  }

  /// A request that could not be read: answer what can be answered, then close.
  void refuse_read(beast::error_code ec) {
    if (ec == bhttp::error::body_limit)
      return respond_and_close(ErrorCode::PayloadTooLarge,
                               "the request body is larger than the limit (--http-max-body, " +
                                   std::to_string(server_->options.max_body) + " bytes)");
    if (ec == bhttp::error::header_limit)
      return respond_and_close(ErrorCode::HeadersTooLarge, "the request headers are larger than the limit");
    if (ec == beast::error::timeout || ec == bhttp::error::end_of_stream || ec == net::error::eof ||
        ec == net::error::connection_reset || ec == net::error::operation_aborted)
      return close();
    if (ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category())
      return respond_and_close(ErrorCode::BadRequest, "malformed HTTP request");
    close();
  }

  void respond_and_close(ErrorCode code, const std::string& message) {
    write(error_response(code, message), false);
  }

  void dispatch() {
    auto message = parser_->release();
    auto target = parse_target(std::string_view(message.target().data(), message.target().size()));
    if (!target) return respond_and_close(ErrorCode::BadRequest, "the request target is not a valid path");
    Request request;
    request.method = std::string(message.method_string());
    request.path = std::move(target->path);
    request.query = std::move(target->query);
    for (const auto& field : message) {
      std::string name(field.name_string());
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      request.headers.emplace_back(std::move(name), std::string(field.value()));
    }
    request.body = std::move(message.body());
    beast::error_code ignored;
    const auto peer = lowest().socket().remote_endpoint(ignored);
    if (!ignored) request.remote = peer.address().to_string();
    const bool keep_alive = message.keep_alive();

    lowest().expires_never();  // the handler's time is not the client's
    ++server_->in_flight;
    auto self = this->shared_from_this();
    const bool queued = server_->pool.submit(
        [self, request = std::move(request), keep_alive](std::size_t worker) mutable {
          Response response;
          try {
            response = self->server_->handler(request, worker);
          } catch (const std::exception& error) {
            spdlog::error("http: {} {} failed: {}", request.method, request.path, error.what());
            response = error_response(ErrorCode::Internal, "the request failed inside the host; see its log");
          }
          auto answer = [self, keep_alive](Response ready) {
            net::post(self->lowest().get_executor(), [self, ready = std::move(ready), keep_alive]() mutable {
              self->write(std::move(ready), keep_alive);
              --self->server_->in_flight;
            });
          };
          if (auto deferred = std::move(response.deferred)) return deferred->on_complete(std::move(answer));
          answer(std::move(response));
        });
    if (!queued) {
      --server_->in_flight;
      ++server_->busy;
      write(error_response(ErrorCode::Busy, "the host is handling too many requests; retry shortly"), false);
    }
  }

  void write(Response response, bool keep_alive) {
    if (response.stream) return start_stream(std::move(response));
    keep_alive = keep_alive && !server_->draining;
    auto message = std::make_shared<bhttp::response<bhttp::string_body>>(
        static_cast<bhttp::status>(response.status), 11);
    message->set(bhttp::field::server, kServerName);
    message->set(bhttp::field::content_type, response.content_type);
    message->set(bhttp::field::cache_control, "no-store");
    message->set("X-Content-Type-Options", "nosniff");
    for (const auto& [name, value] : response.headers) message->set(name, value);
    message->keep_alive(keep_alive);
    message->body() = std::move(response.body);
    message->prepare_payload();
    lowest().expires_after(server_->options.write_timeout);
    bhttp::async_write(stream_, *message,
                       [self = this->shared_from_this(), message, keep_alive](beast::error_code ec, std::size_t) {
                         if (ec || !keep_alive) return self->close();
                         self->read_header();
                       });
  }

  // --- event streams ---------------------------------------------------------

  void start_stream(Response response) {
    events_ = std::move(response.stream);
    ++server_->streams;
    std::string head = "HTTP/1.1 " + std::to_string(response.status) + " OK\r\nServer: " + kServerName +
                       "\r\nContent-Type: " + response.content_type +
                       "\r\nCache-Control: no-store\r\nX-Accel-Buffering: no\r\nConnection: close\r\n";
    for (const auto& [name, value] : response.headers) head += name + ": " + value + "\r\n";
    head += "\r\n";
    pending_ = std::move(head);
    // A stream is idle for as long as nothing happens: only a write that does
    // not finish in time (the client stopped reading) ends it, on a timer of
    // its own (the stream's timer would also end the pending watch read).
    lowest().expires_never();
    write_deadline_.emplace(lowest().get_executor());
    std::weak_ptr<Session> weak = this->shared_from_this();
    auto executor = lowest().get_executor();
    events_->start([weak, executor] {
      net::post(executor, [weak] {
        if (auto self = weak.lock()) self->pump();
      });
    });
    pump();
    watch_client();
  }

  /// A read that stays pending while the stream is open: it keeps the session
  /// alive between events and ends it as soon as the client goes away.
  void watch_client() {
    stream_.async_read_some(net::buffer(discard_), [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return self->close();
      self->watch_client();
    });
  }

  /// On the connection's strand: writes what the stream has, one write at a time.
  void pump() {
    if (writing_ || closed_) return;
    if (pending_.empty()) {
      auto next = events_->take();
      if (!next) return close();
      pending_ = std::move(*next);
      if (pending_.empty()) return;
    }
    writing_ = true;
    write_deadline_->expires_after(server_->options.write_timeout);
    write_deadline_->async_wait([weak = std::weak_ptr<Session>(this->shared_from_this())](beast::error_code ec) {
      if (auto self = weak.lock(); self && !ec) self->close();  // a write stalled: the client stopped reading
    });
    net::async_write(stream_, net::buffer(pending_),
                     [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                       self->write_deadline_->cancel();
                       self->writing_ = false;
                       self->pending_.clear();
                       if (ec) return self->close();
                       self->pump();
                     });
  }

  void close() {
    if (closed_) return;
    closed_ = true;
    beast::error_code ignored;
    if constexpr (kTls) {
      lowest().expires_after(std::chrono::seconds(2));
      stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) {
        beast::error_code unused;
        self->lowest().socket().shutdown(tcp::socket::shutdown_both, unused);
        self->lowest().close();
      });
    } else {
      lowest().socket().shutdown(tcp::socket::shutdown_send, ignored);
      lowest().close();
    }
  }

  Server::Impl* server_;  // outlives every session (see Impl)
  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  bool first_ = true;
  bool closed_ = false;
  std::shared_ptr<EventStream> events_;
  std::string pending_;
  std::optional<net::steady_timer> write_deadline_;  // streams only
  bool writing_ = false;
  char discard_[256];  // what a streaming client sends is read and ignored
};

}  // namespace

template <class Stream>
void Server::Impl::launch(Stream stream) {
  std::make_shared<Session<Stream>>(this, std::move(stream))->run();
}

void Server::Impl::accept() {
  acceptor->async_accept(net::make_strand(io), [self = this](beast::error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted || !self->acceptor || !self->acceptor->is_open()) return;
    if (!ec) {
      if (self->open >= self->options.max_connections) {
        ++self->rejected;  // over the cap: closed unread
        beast::error_code ignored;
        socket.close(ignored);
      } else if (self->tls) {
        self->launch(beast::ssl_stream<beast::tcp_stream>(beast::tcp_stream(std::move(socket)), *self->tls));
      } else {
        self->launch(beast::tcp_stream(std::move(socket)));
      }
    }
    self->accept();
  });
}

Server::Server(ServerOptions options, Handler handler)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(handler))) {}

Server::~Server() { stop(std::chrono::milliseconds(0)); }

void Server::start() {
  auto& impl = *impl_;
  if (impl.options.tls) {
    impl.tls.emplace(ssl::context::tls_server);
    impl.tls->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                          ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
    try {
      impl.tls->use_certificate_chain_file(impl.options.tls->certificate);
    } catch (const std::exception& error) {
      throw std::runtime_error("--tls-cert " + impl.options.tls->certificate +
                               ": cannot use this certificate (" + error.what() + ")");
    }
    try {
      impl.tls->use_private_key_file(impl.options.tls->private_key, ssl::context::pem);
    } catch (const std::exception& error) {
      throw std::runtime_error("--tls-key " + impl.options.tls->private_key + ": cannot use this key (" +
                               error.what() + "), or it does not match the certificate");
    }
  }
  beast::error_code ec;
  const auto address = net::ip::make_address(impl.options.host, ec);
  if (ec) throw std::runtime_error("--http: '" + impl.options.host + "' is not an IP address");
  const tcp::endpoint endpoint(address, impl.options.port);
  const auto where = impl.options.host + ":" + std::to_string(impl.options.port);
  impl.acceptor.emplace(impl.io);
  impl.acceptor->open(endpoint.protocol(), ec);
  if (!ec) impl.acceptor->set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) impl.acceptor->bind(endpoint, ec);
  if (!ec) impl.acceptor->listen(net::socket_base::max_listen_connections, ec);
  if (ec) throw std::runtime_error("--http: cannot listen on " + where + ": " + ec.message());
  impl.bound_port = impl.acceptor->local_endpoint().port();
  impl.accept();
  impl.work.emplace(impl.io.get_executor());
  for (int i = 0; i < impl.options.io_threads; ++i) {
    impl.threads.emplace_back([&impl, i] {
      name_this_thread("weft-http-io-" + std::to_string(i));
      impl.io.run();
    });
  }
}

unsigned short Server::port() const { return impl_->bound_port; }

void Server::stop_accepting() {
  auto& impl = *impl_;
  if (impl.draining.exchange(true)) return;
  if (!impl.acceptor) return;
  net::post(impl.io, [self = impl_.get()] {
    beast::error_code ignored;
    if (self->acceptor) self->acceptor->close(ignored);
  });
}

void Server::stop(std::chrono::milliseconds grace) {
  auto& impl = *impl_;
  if (impl.threads.empty()) {
    impl.pool.stop();
    return;
  }
  stop_accepting();
  const auto until = std::chrono::steady_clock::now() + grace;
  while (impl.in_flight > 0 && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  impl.pool.stop();
  impl.work.reset();
  impl.io.stop();
  for (auto& thread : impl.threads) thread.join();
  impl.threads.clear();
  impl.acceptor.reset();
}

ServerStats Server::stats() const {
  return ServerStats{impl_->open.load(), impl_->rejected.load(), impl_->busy.load(), impl_->streams.load()};
}

}  // namespace weft::http
