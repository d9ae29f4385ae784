#include "http_load.hpp"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <sys/resource.h>

#include <fstream>
#include <mutex>
#include <regex>
#include <sstream>
#include <stdexcept>

namespace weft::bench {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

/// One kept-alive connection that posts CloudEvents and times the answers.
class Poster {
 public:
  explicit Poster(unsigned short port) : socket_(io_) {
    socket_.connect({net::ip::make_address("127.0.0.1"), port});
    socket_.set_option(tcp::no_delay(true));
  }

  /// The acknowledgement's latency in ms; throws unless the host answers 202.
  double post(const std::string& body) {
    bhttp::request<bhttp::string_body> request{bhttp::verb::post, "/v1/events", 11};
    request.set(bhttp::field::host, "127.0.0.1");
    request.set(bhttp::field::content_type, "application/cloudevents+json");
    request.keep_alive(true);
    request.body() = body;
    request.prepare_payload();
    const auto start = Clock::now();
    bhttp::write(socket_, request);
    bhttp::response<bhttp::string_body> response;
    bhttp::read(socket_, buffer_, response);
    const double ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    if (response.result_int() != 202)
      throw std::runtime_error("POST /v1/events answered " + std::to_string(response.result_int()) + ": " +
                               response.body());
    return ms;
  }

 private:
  net::io_context io_;
  tcp::socket socket_;
  beast::flat_buffer buffer_;
};

std::string event_body(const std::string& source, const std::string& type, long long n) {
  return R"({"specversion":"1.0","source":")" + source + R"(","type":")" + type + R"(","id":")" + source + "-" +
         std::to_string(n) + R"(","data":{"n":)" + std::to_string(n) + "}}";
}

}  // namespace

unsigned short wait_for_http_port(const std::string& log_file, std::chrono::seconds timeout) {
  static const std::regex logged(R"(HTTP API on https?://\S*:(\d+)\s)");
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    std::ifstream in(log_file);
    std::stringstream text;
    text << in.rdbuf();
    const auto log = text.str();
    std::smatch match;
    if (std::regex_search(log, match, logged)) return static_cast<unsigned short>(std::stoi(match[1]));
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  throw std::runtime_error("the host did not log its HTTP port; see " + log_file);
}

std::vector<double> post_events(unsigned short port, const std::vector<std::string>& bodies, int clients) {
  std::atomic<std::size_t> next{0};
  std::mutex mutex;
  std::vector<double> latencies;
  std::string failure;
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&] {
      std::vector<double> mine;
      try {
        Poster poster(port);
        for (std::size_t i; (i = next++) < bodies.size();) mine.push_back(poster.post(bodies[i]));
      } catch (const std::exception& error) {
        std::lock_guard lock(mutex);
        failure = error.what();
      }
      std::lock_guard lock(mutex);
      latencies.insert(latencies.end(), mine.begin(), mine.end());
    });
  }
  for (auto& thread : threads) thread.join();
  if (!failure.empty()) throw std::runtime_error(failure);
  return latencies;
}

PacedPoster::PacedPoster(unsigned short port, std::string source, std::string type, std::chrono::microseconds interval)
    : thread_([this, port, source = std::move(source), type = std::move(type), interval] {
        try {
          Poster poster(port);
          auto next = Clock::now();
          for (long long n = 0; !stop_; ++n) {
            latencies_.push_back(poster.post(event_body(source, type, n)));
            next += interval;
            std::this_thread::sleep_until(next);
          }
        } catch (const std::exception& error) {
          failure_ = error.what();
        }
      }) {}

PacedPoster::~PacedPoster() { stop(); }

void PacedPoster::stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

std::vector<double> PacedPoster::finish() {
  stop();
  if (!failure_.empty()) throw std::runtime_error(failure_);
  return latencies_;
}

struct StreamReaders::Impl {
  struct Reader {
    explicit Reader(net::io_context& io) : socket(io) {}
    tcp::socket socket;
    std::string request;
    std::array<char, 16384> buffer{};
  };
  net::io_context io;
  std::vector<std::unique_ptr<Reader>> readers;
  std::atomic<int> open{0};
  std::atomic<long long> bytes{0};
  std::thread thread;

  void read(Reader& reader) {
    reader.socket.async_read_some(net::buffer(reader.buffer), [this, &reader](beast::error_code ec, std::size_t n) {
      if (ec) {
        --open;
        return;
      }
      bytes += static_cast<long long>(n);
      read(reader);
    });
  }
};

StreamReaders::StreamReaders(unsigned short port, const std::vector<std::string>& targets)
    : impl_(std::make_unique<Impl>()) {
  // A descriptor per stream: 1,000 of them need more than a shell's usual 1024 soft limit leaves.
  rlimit files{};
  if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    setrlimit(RLIMIT_NOFILE, &files);
  }
  for (const auto& target : targets) {
    auto reader = std::make_unique<Impl::Reader>(impl_->io);
    reader->socket.connect({net::ip::make_address("127.0.0.1"), port});
    reader->request = "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n";
    net::write(reader->socket, net::buffer(reader->request));
    ++impl_->open;
    impl_->read(*reader);
    impl_->readers.push_back(std::move(reader));
  }
  impl_->thread = std::thread([impl = impl_.get()] { impl->io.run(); });
}

StreamReaders::~StreamReaders() {
  impl_->io.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

int StreamReaders::open() const { return impl_->open; }
long long StreamReaders::bytes() const { return impl_->bytes; }

struct NullCollector::Impl {
  net::io_context io;
  tcp::acceptor acceptor{io, {net::ip::make_address("127.0.0.1"), 0}};
  std::atomic<bool> stopping{false};
  std::thread thread;
};

NullCollector::NullCollector() : impl_(std::make_unique<Impl>()) {
  impl_->thread = std::thread([this] {
    for (;;) {
      tcp::socket socket(impl_->io);
      beast::error_code ec;
      impl_->acceptor.accept(socket, ec);
      if (ec || impl_->stopping) return;
      beast::flat_buffer buffer;
      for (;;) {  // the exporter sends one request per connection; keep-alive is served too
        bhttp::request<bhttp::string_body> request;
        bhttp::read(socket, buffer, request, ec);
        if (ec) break;
        ++requests_;
        bytes_ += static_cast<long long>(request.body().size());
        bhttp::response<bhttp::string_body> response{bhttp::status::ok, 11};
        response.body() = "{}";
        response.prepare_payload();
        bhttp::write(socket, response, ec);
        if (ec) break;
      }
    }
  });
}

NullCollector::~NullCollector() {
  impl_->stopping = true;
  beast::error_code ignored;
  tcp::socket wake(impl_->io);  // a blocked accept() is woken by a connection, not by a close
  wake.connect(impl_->acceptor.local_endpoint(), ignored);
  impl_->thread.join();
}

std::string NullCollector::url() const {
  return "http://127.0.0.1:" + std::to_string(impl_->acceptor.local_endpoint().port()) + "/v1/traces";
}

}  // namespace weft::bench
