// The HTTP rows: intake over keep-alive connections against `weft emit`, the
// latency of an acknowledged POST while order-3@50 runs, and what 1,000 open
// /v1/stream clients cost the host.
#include "http_scenarios.hpp"

#include "http_load.hpp"
#include "scenarios.hpp"

#include <cstdio>
#include <functional>
#include <memory>
#include <random>
#include <stdexcept>
#include <thread>

namespace weft::bench {
namespace {

using Clock = std::chrono::steady_clock;

// No bench workflow matches this type: the host stores and routes the events, nothing runs.
constexpr const char* kIntakeType = "bench.intake";

std::string intake_event(const std::string& source, long long n) {
  return R"({"specversion":"1.0","source":")" + source + R"(","type":")" + kIntakeType + R"(","id":")" + source +
         "-" + std::to_string(n) + R"(","data":{"n":)" + std::to_string(n) + "}}";
}

std::vector<std::string> intake_events(const std::string& source, long long count) {
  std::vector<std::string> events;
  for (long long i = 0; i < count; ++i) events.push_back(intake_event(source, i));
  return events;
}

void wait_routed(BenchDb& db, const std::string& scenario) {
  const auto deadline = Clock::now() + std::chrono::seconds(120);
  while (db.any_unfinished()) {
    if (Clock::now() > deadline) throw std::runtime_error(scenario + ": events still unrouted after 120 s");
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

std::vector<std::string> http_flags() { return {"--http", "127.0.0.1:0"}; }

/// A handle whose release (when the closed loop ends, before the host stops) runs `action`.
std::shared_ptr<void> on_release(std::function<void()> action) {
  return std::shared_ptr<void>(nullptr, [action = std::move(action)](void*) { action(); });
}

}  // namespace

ScenarioResult run_http_intake(const BenchContext& context, long long events, int clients) {
  const std::string scenario = "http-intake@" + std::to_string(clients);
  BenchDb db(context.url);
  WeftHost host(context, context.workflows_source / "order-3", scenario, http_flags());
  host.wait_ready(db);
  const auto port = wait_for_http_port(host.log().string(), std::chrono::seconds(30));

  // `weft emit`, the same number of events on its stdin (it commits them in batches), to the same host.
  const auto emit_start = Clock::now();
  emit_through_cli(context, scenario, intake_events("bench-intake-emit", events));
  const double emit_seconds = std::chrono::duration<double>(Clock::now() - emit_start).count();
  wait_routed(db, scenario);

  const auto bodies = intake_events("bench-intake-http", events);
  const auto before = host.usage();
  const auto http_start = Clock::now();
  auto latencies = post_events(port, bodies, clients);
  const double http_seconds = std::chrono::duration<double>(Clock::now() - http_start).count();
  const auto after = host.usage();
  wait_routed(db, scenario);
  host.stop();
  if (db.stored_events("bench-intake-http") != events)
    throw std::runtime_error(scenario + ": not every acknowledged event was stored");

  ScenarioResult result;
  result.name = scenario;
  result.workflows = events;
  result.seconds = http_seconds;
  result.workflows_per_second = static_cast<double>(events) / http_seconds;
  result.baseline_workflows_per_second = static_cast<double>(events) / emit_seconds;
  result.extra["ratio_to_baseline"] = *result.workflows_per_second / *result.baseline_workflows_per_second;
  result.p50_ms = percentile(latencies, 0.5);
  result.p99_ms = percentile(latencies, 0.99);
  result.host_cpu_ms_per_workflow = (after.cpu_ms - before.cpu_ms) / static_cast<double>(events);
  result.rss_mb = after.rss_mb;
  result.note = "workflows = events; " + std::to_string(clients) +
                " keep-alive clients POST one structured CloudEvent each (no workflow matches its type); "
                "baseline = the same number through one `weft emit` (stdin, batched commits, process start "
                "included) to the same host; p50/p99 = client-side time to the 202";
  return result;
}

ScenarioResult run_order3_http(const BenchContext& context, long long workflows) {
  auto poster = std::make_shared<std::unique_ptr<PacedPoster>>();
  Alongside alongside{"order-3@50+http", http_flags(), [poster](WeftHost& host) -> std::shared_ptr<void> {
                        const auto port = wait_for_http_port(host.log().string(), std::chrono::seconds(30));
                        *poster = std::make_unique<PacedPoster>(port, "bench-ack", kIntakeType,
                                                                std::chrono::microseconds(5000));
                        return on_release([poster] { (*poster)->stop(); });
                      }};
  // The poster outlives the loop: its latencies are read after.
  auto result = run_order3(context, workflows, 50, alongside);
  auto latencies = (*poster)->finish();
  result.extra["ack_count"] = static_cast<double>(latencies.size());
  result.extra["ack_p50_ms"] = percentile(latencies, 0.5);
  result.extra["ack_p99_ms"] = percentile(latencies, 0.99);
  result.note += "; the host serves HTTP and one client POSTs an event every 5 ms meanwhile (ack_* = its "
                 "acknowledgements)";
  return result;
}

ScenarioResult run_order3_streams(const BenchContext& context, long long workflows, const StreamLoad& load) {
  auto readers = std::make_shared<std::unique_ptr<StreamReaders>>();
  auto open_at_end = std::make_shared<int>(0);
  Alongside alongside{load.row, http_flags(), [readers, load, open_at_end](WeftHost& host) -> std::shared_ptr<void> {
                        const auto port = wait_for_http_port(host.log().string(), std::chrono::seconds(30));
                        *readers = std::make_unique<StreamReaders>(port, load.targets);
                        std::this_thread::sleep_for(std::chrono::seconds(1));  // every stream set up
                        return on_release([readers, open_at_end] { *open_at_end = (*readers)->open(); });
                      }};
  auto result = run_order3(context, workflows, 50, alongside);
  result.extra["stream_clients"] = static_cast<double>(load.targets.size());
  result.extra["stream_clients_open_at_end"] = *open_at_end;
  result.extra["stream_mb_received"] = static_cast<double>((*readers)->bytes()) / 1e6;
  result.note += "; the host serves HTTP with " + std::to_string(load.targets.size()) + " /v1/stream clients (" +
                 load.description + "), read by one thread of the bench";
  return result;
}

ScenarioResult run_order3_otlp(const BenchContext& context, long long workflows) {
  NullCollector collector;
  auto result = run_order3(context, workflows, 50, Alongside{"order-3@50+otlp", {"--otlp", collector.url()}, nullptr});
  result.extra["otlp_requests"] = static_cast<double>(collector.requests());
  result.extra["otlp_mb"] = static_cast<double>(collector.bytes()) / 1e6;
  result.note += "; the host exports a span per execution and per attempt (OTLP/HTTP JSON) to a collector in the "
                 "bench process that accepts and discards them";
  return result;
}

StreamLoad subscribers_of_own_traces(int clients) {
  StreamLoad load{"order-3@50+streams", {}, "each following a trace of its own, as a page showing one order's "
                                              "progress does; none of them is one of this load's traces"};
  std::mt19937_64 random(7);
  for (int i = 0; i < clients; ++i) {
    char trace[33];
    std::snprintf(trace, sizeof trace, "%016llx%016llx", static_cast<unsigned long long>(random()),
                  static_cast<unsigned long long>(random()));
    load.targets.push_back(std::string("/v1/stream?trace_id=") + trace);
  }
  return load;
}

StreamLoad firehose(int clients) {
  return {"order-3@50+firehose", std::vector<std::string>(static_cast<std::size_t>(clients), "/v1/stream"),
          "no filter: every change to every client"};
}

}  // namespace weft::bench
