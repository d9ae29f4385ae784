// The rows that measure the HTTP API (`weft serve --http`).
#pragma once

#include "report.hpp"
#include "weft_host.hpp"

#include <string>
#include <vector>

namespace weft::bench {

/// Events/s accepted over `clients` keep-alive connections, against `weft emit`
/// storing as many into the same host.
ScenarioResult run_http_intake(const BenchContext& context, long long events, int clients);
/// order-3@50 on a host serving HTTP, with a client posting events meanwhile (their ack latency).
ScenarioResult run_order3_http(const BenchContext& context, long long workflows);
/// order-3@50 on a host exporting spans (--otlp) to a collector in the bench process.
ScenarioResult run_order3_otlp(const BenchContext& context, long long workflows);

/// Stream clients to hold open: one request target each.
struct StreamLoad {
  std::string row;
  std::vector<std::string> targets;
  std::string description;  // for the row's note
};
StreamLoad subscribers_of_own_traces(int clients);
StreamLoad firehose(int clients);

/// order-3@50 with the clients of `load` connected.
ScenarioResult run_order3_streams(const BenchContext& context, long long workflows, const StreamLoad& load);

}  // namespace weft::bench
