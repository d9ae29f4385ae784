// The scenarios that run a real `weft serve` (issue 6), and the libpqxx
// baselines they are compared with.
#pragma once

#include "report.hpp"
#include "weft_host.hpp"

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace weft::bench {

/// What runs beside a closed loop: extra `weft serve` flags, and load started
/// once the host is ready (kept alive until the loop ends, then released).
struct Alongside {
  std::string row;  // the row's name (also its event source); empty: order-3@N
  std::vector<std::string> host_args;
  std::function<std::shared_ptr<void>(WeftHost&)> start;
};

/// order-3 with `in_flight` events outstanding at a time (closed loop).
ScenarioResult run_order3(const BenchContext& context, long long workflows, int in_flight,
                          const Alongside& alongside = {});
/// noop-3: three Lua steps, events pre-loaded.
ScenarioResult run_noop3(const BenchContext& context, long long workflows);
/// fan-out: each event matched by 50 workflows, events pre-loaded.
ScenarioResult run_fan_out(const BenchContext& context, long long events);
/// saga: the last of 3 steps fails for good; 2 compensations run.
ScenarioResult run_saga(const BenchContext& context, long long workflows);
/// waiting: executions parked on `wait`, then all signalled.
ScenarioResult run_waiting(const BenchContext& context, long long workflows);
/// cold start: `weft serve` until its host row exists, on an existing database.
ScenarioResult run_cold_start(const BenchContext& context, int starts);
/// tx-step: a one-step transactional workflow doing one UPDATE, 1 in flight.
ScenarioResult run_tx_step(const BenchContext& context, long long workflows);

/// The order-3 workflow hand-written on libpqxx, `threads` connections.
ScenarioResult run_baseline(const BenchContext& context, long long workflows, int threads);
/// The tx-step's UPDATE plus a checkpoint row in one transaction, on libpqxx.
ScenarioResult run_raw_tx_step(const BenchContext& context, long long workflows);

}  // namespace weft::bench
