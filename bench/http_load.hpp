// Load on a host's HTTP API, from the bench process: keep-alive clients that
// post events and time each acknowledgement, and many idle stream readers.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace weft::bench {

/// The port a `weft serve --http 127.0.0.1:0` host logged, waiting up to `timeout`.
unsigned short wait_for_http_port(const std::string& log_file, std::chrono::seconds timeout);

/// Posts `bodies` (CloudEvents, structured mode) over `clients` keep-alive
/// connections, each taking the next body until none is left. Throws unless
/// every answer is 202. Returns each acknowledgement's latency in ms.
std::vector<double> post_events(unsigned short port, const std::vector<std::string>& bodies, int clients);

/// Posts one event every `interval` on one keep-alive connection until destroyed;
/// each acknowledgement's latency in ms is kept.
class PacedPoster {
 public:
  PacedPoster(unsigned short port, std::string source, std::string type, std::chrono::microseconds interval);
  ~PacedPoster();
  PacedPoster(const PacedPoster&) = delete;
  PacedPoster& operator=(const PacedPoster&) = delete;
  /// Stops posting (waits for the request under way).
  void stop();
  /// Stops posting; the latencies so far (throws if any answer was not 202).
  std::vector<double> finish();

 private:
  std::atomic<bool> stop_{false};
  std::vector<double> latencies_;
  std::string failure_;
  std::thread thread_;
};

/// An OTLP/HTTP collector that accepts every export and keeps only counts, on
/// its own thread of the bench process until destroyed.
class NullCollector {
 public:
  NullCollector();
  ~NullCollector();
  NullCollector(const NullCollector&) = delete;
  NullCollector& operator=(const NullCollector&) = delete;
  std::string url() const;
  long long requests() const { return requests_; }
  long long bytes() const { return bytes_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::atomic<long long> requests_{0};
  std::atomic<long long> bytes_{0};
};

/// Connections to `GET target`, each reading (and discarding) what
/// the stream sends, on one thread of the bench process until destroyed.
class StreamReaders {
 public:
  /// One connection per target.
  StreamReaders(unsigned short port, const std::vector<std::string>& targets);
  ~StreamReaders();
  StreamReaders(const StreamReaders&) = delete;
  StreamReaders& operator=(const StreamReaders&) = delete;
  /// Streams still open (a dropped or refused one is not).
  int open() const;
  long long bytes() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace weft::bench
