// Sends spans to an OpenTelemetry collector: OTLP over HTTP with JSON bodies
// (POST <url>, e.g. http://127.0.0.1:4318/v1/traces). Spans wait in a bounded
// queue and go out in batches from a thread of their own, so the engine never
// waits for the collector: when it is slow or down, spans beyond the queue are
// dropped and counted, and nothing else changes.
#pragma once

#include "tracing/spans.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

namespace weft::tracing {

struct OtlpOptions {
  std::string url;                      // http://host:port[/path]; the path defaults to /v1/traces
  std::string service_name = "weft";
  std::string host_name;                // the resource's host.name
  std::size_t max_queue = 20000;        // spans waiting beyond this are dropped
  std::size_t max_batch = 512;
  std::chrono::milliseconds interval{1000};  // a partial batch waits at most this long
  std::chrono::milliseconds timeout{2000};   // per export request
};

struct OtlpStats {
  std::uint64_t exported = 0;
  std::uint64_t dropped = 0;         // the queue was full, or their export failed
  std::uint64_t failed_requests = 0;
};

class OtlpExporter final : public SpanSink {
 public:
  /// Throws std::invalid_argument when the URL is not http://host:port[/path].
  explicit OtlpExporter(OtlpOptions options);
  /// Sends what is queued (within one request timeout), then stops.
  ~OtlpExporter() override;
  OtlpExporter(const OtlpExporter&) = delete;
  OtlpExporter& operator=(const OtlpExporter&) = delete;

  void record(Span span) override;
  OtlpStats stats() const;

 private:
  void run();
  bool send(const std::deque<Span>& batch);

  OtlpOptions options_;
  std::string host_;
  std::string port_;
  std::string target_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Span> queue_;
  bool stopping_ = false;
  std::atomic<std::uint64_t> exported_{0};
  std::atomic<std::uint64_t> dropped_{0};
  std::atomic<std::uint64_t> failed_requests_{0};
  std::thread thread_;
};

}  // namespace weft::tracing
