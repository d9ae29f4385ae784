#include "scenarios.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <fstream>
#include <functional>
#include <random>
#include <stdexcept>
#include <thread>

namespace weft::bench {
namespace {

using Clock = std::chrono::steady_clock;
using DataOf = std::function<std::string(long long)>;

constexpr int kInventoryRows = 10000;

std::string order_data(long long index, const std::string& prefix) {
  static thread_local std::mt19937 random{12345};
  return boost::json::serialize(boost::json::object{
      {"order_id", prefix + std::to_string(index)}, {"sku", 1 + random() % kInventoryRows}, {"qty", 1}});
}

std::string counter_data(long long index) { return "{\"n\":" + std::to_string(index) + "}"; }

std::string event_line(const std::string& source, const std::string& type, const std::string& id,
                       const std::string& data) {
  return R"({"specversion":"1.0","source":")" + source + R"(","type":")" + type + R"(","id":")" + id +
         R"(","data":)" + data + "}";
}

// Fails the scenario unless every execution exists and ended as expected.
void require_all_finished(const std::string& scenario, const ExecutionStats& stats, long long expected,
                          const std::string& status) {
  if (stats.total != expected || stats.with_status != expected)
    throw std::runtime_error(scenario + ": expected " + std::to_string(expected) + " execution(s) " + status +
                             ", found " + std::to_string(stats.total) + " of which " +
                             std::to_string(stats.with_status) + " " + status);
}

void fill_from_stats(ScenarioResult& result, const ExecutionStats& stats) {
  result.workflows = stats.total;
  result.seconds = stats.seconds;
  if (stats.seconds > 0) result.workflows_per_second = static_cast<double>(stats.total) / stats.seconds;
  result.p50_ms = stats.p50_ms;
  result.p99_ms = stats.p99_ms;
}

// Stops the host and turns what the database and /proc counted into a row;
// fails unless all `expected` executions of `source` ended with `status`.
struct Conclusion {
  std::string name, source, status;
  long long expected = 0;
  LatencyFrom from = LatencyFrom::ExecutionCreated;
  long long transactions_before = 0;  // the driver connection's count at the window's start
  long long driver_writes = 0;        // writing transactions the driver ran in the window
};

ScenarioResult conclude(BenchDb& db, WeftHost& host, const MeasureWindow& window, const Conclusion& what) {
  const auto end_usage = host.usage();
  db.flush_statistics();
  const long long driver_transactions = db.own_transactions() - what.transactions_before;
  host.stop();
  ScenarioResult result;
  result.name = what.name;
  const auto stats = db.execution_stats(what.source, what.status, what.from);
  require_all_finished(what.name, stats, what.expected, what.status);
  fill_from_stats(result, stats);
  result.rss_mb = end_usage.rss_mb;
  result.extra["peak_rss_mb"] = end_usage.peak_mb;
  window.finish(result, what.expected, end_usage, what.driver_writes, driver_transactions);
  return result;
}

// Polls until nothing is unrouted or unfinished, with progress on stderr.
void wait_until_done(BenchDb& db, const std::string& scenario, long long total, std::chrono::seconds stall_limit) {
  // Counting a backlog of 10,000 took 5-8 ms of server time, on the machine
  // being measured: the frequent check only asks whether anything is left, and
  // the count (for progress and stalls) runs every two seconds.
  auto last_change = Clock::now();
  auto last_count = Clock::now();
  long long last_left = -1;
  while (db.any_unfinished()) {
    const auto now = Clock::now();
    if (now - last_count > std::chrono::seconds(2)) {
      last_count = now;
      const auto left = db.unfinished();
      if (left != last_left) {
        last_left = left;
        last_change = now;
      } else if (now - last_change > stall_limit) {
        throw std::runtime_error(scenario + ": no progress for " + std::to_string(stall_limit.count()) + "s with " +
                                 std::to_string(left) + " unfinished");
      }
      progress(scenario, total - left, total);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

std::filesystem::path workflows_of(const BenchContext& context, const std::string& scenario) {
  return context.workflows_source / scenario;
}

struct PreloadedRun {
  std::string scenario;  // row name and log name
  std::filesystem::path workflows_dir;
  std::string source;     // event source, unique per scenario
  std::string type;
  long long events = 0;
  long long executions_per_event = 1;
  std::string expected_status;
  DataOf data;
};

// Events are stored through `weft emit` before the host starts, so intake is
// not part of the measurement; latency runs from the routing that created each execution.
ScenarioResult run_preloaded(const BenchContext& context, const PreloadedRun& run) {
  std::vector<std::string> lines;
  for (long long i = 0; i < run.events; ++i)
    lines.push_back(event_line(run.source, run.type, run.source + "-" + std::to_string(i), run.data(i)));
  emit_through_cli(context, run.scenario, lines);

  BenchDb db(context.url);
  WeftHost host(context, run.workflows_dir, run.scenario);
  host.wait_ready(db);
  const MeasureWindow window(context.url, &host);
  const long long transactions_before = db.own_transactions();
  const long long total = run.events * run.executions_per_event;
  wait_until_done(db, run.scenario, total, std::chrono::seconds(60));
  auto result = conclude(db, host, window, {run.scenario, run.source, run.expected_status, total,
                                            LatencyFrom::ExecutionCreated, transactions_before, 0});
  result.note = std::to_string(run.events) +
                " events pre-loaded through `weft emit` before the host started; latency = finished_at - "
                "execution created_at (includes queueing behind the whole backlog)";
  return result;
}

struct ClosedLoopRun {
  std::string scenario;
  std::string workflow;  // workflow id (for the finished poll)
  std::string folder;
  std::string source;
  std::string type;
  long long workflows = 0;
  int in_flight = 1;
  std::string expected_status;
  DataOf data;
  Alongside alongside;
};

// The driver keeps `in_flight` events outstanding: it inserts events as intake
// does (one statement, NOTIFY) and polls the executions they started.
ScenarioResult run_closed_loop(const BenchContext& context, const ClosedLoopRun& run) {
  BenchDb db(context.url);
  // A sequential scan per poll took CPU from the host being measured.
  db.prefer_index_scans();
  WeftHost host(context, workflows_of(context, run.folder), run.scenario, run.alongside.host_args);
  host.wait_ready(db);
  auto load = run.alongside.start ? run.alongside.start(host) : nullptr;
  const MeasureWindow window(context.url, &host);
  const long long transactions_before = db.own_transactions();
  long long inserts = 0;

  std::vector<std::string> outstanding;
  long long emitted = 0;
  long long finished = 0;
  auto last_progress = Clock::now();
  auto last_change = Clock::now();
  const auto poll_pause = std::chrono::microseconds(run.in_flight == 1 ? 500 : 2000);
  while (emitted < run.workflows || !outstanding.empty()) {
    if (static_cast<int>(outstanding.size()) < run.in_flight && emitted < run.workflows) {
      std::vector<std::string> ids, data;
      while (static_cast<int>(outstanding.size() + ids.size()) < run.in_flight && emitted < run.workflows) {
        ids.push_back(run.source + "-" + std::to_string(emitted));
        data.push_back(run.data(emitted));
        ++emitted;
      }
      db.insert_events(run.source, run.type, ids, data);
      ++inserts;
      outstanding.insert(outstanding.end(), ids.begin(), ids.end());
    }
    std::this_thread::sleep_for(poll_pause);
    const auto done = db.finished_of(run.workflow, run.source, outstanding);
    const auto now = Clock::now();
    if (!done.empty()) {
      last_change = now;
      finished += static_cast<long long>(done.size());
      std::erase_if(outstanding, [&](const std::string& id) {
        return std::find(done.begin(), done.end(), id) != done.end();
      });
    } else if (now - last_change > std::chrono::seconds(60)) {
      throw std::runtime_error(run.scenario + ": no execution finished for 60s (" +
                               std::to_string(outstanding.size()) + " outstanding)");
    }
    if (now - last_progress > std::chrono::seconds(2)) {
      progress(run.scenario, finished, run.workflows);
      last_progress = now;
    }
  }
  load.reset();
  auto result = conclude(db, host, window, {run.scenario, run.source, run.expected_status, run.workflows,
                                            LatencyFrom::EventReceived, transactions_before, inserts});
  result.note = std::to_string(run.in_flight) +
                " in flight: the driver inserts events as intake does (same statement and NOTIFY) and keeps " +
                std::to_string(run.in_flight) +
                " unfinished; latency = finished_at - event received_at; write txns exclude the driver's "
                "event inserts";
  return result;
}

// fan-out-01..50: the same one-step workflow under 50 ids, written from the template.
std::filesystem::path write_fan_out_workflows(const BenchContext& context) {
  const auto source = context.workflows_source / "fan-out";
  const auto target = context.home / "workflows" / "fan-out";
  std::filesystem::remove_all(target);
  std::filesystem::create_directories(target);
  std::filesystem::copy_file(source / "step.lua", target / "step.lua");
  std::ifstream in(source / "workflow.yaml.template");
  const std::string yaml((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (yaml.find("__N__") == std::string::npos) throw std::runtime_error("fan-out template has no __N__");
  for (int n = 1; n <= 50; ++n) {
    std::string text = yaml;
    const std::string number = (n < 10 ? "0" : "") + std::to_string(n);
    for (auto at = text.find("__N__"); at != std::string::npos; at = text.find("__N__"))
      text.replace(at, 5, number);
    std::ofstream(target / ("workflow-" + number + ".yaml")) << text;
  }
  return target;
}

}  // namespace

ScenarioResult run_order3(const BenchContext& context, long long workflows, int in_flight,
                          const Alongside& alongside) {
  const std::string row = alongside.row.empty() ? "order-3@" + std::to_string(in_flight) : alongside.row;
  const std::string source = alongside.row.empty() ? "bench-order-" + std::to_string(in_flight) : "bench-" + row;
  return run_closed_loop(context, ClosedLoopRun{row, "order-3", "order-3", source, "bench.order", workflows,
                                                in_flight, "completed",
                                                [source](long long i) { return order_data(i, source + "-"); },
                                                alongside});
}

ScenarioResult run_noop3(const BenchContext& context, long long workflows) {
  return run_preloaded(context, PreloadedRun{"noop-3", workflows_of(context, "noop-3"), "bench-noop",
                                             "bench.noop", workflows, 1, "completed", counter_data});
}

ScenarioResult run_fan_out(const BenchContext& context, long long events) {
  auto result = run_preloaded(context, PreloadedRun{"fan-out", write_fan_out_workflows(context),
                                                    "bench-fan-out", "bench.fanout", events, 50, "completed",
                                                    counter_data});
  BenchDb db(context.url);
  if (const auto routing = db.routing_us_per_match("bench-fan-out")) result.extra["routing_us_per_match"] = *routing;
  result.note += "; each event matches 50 workflows (workflows = executions)";
  return result;
}

ScenarioResult run_saga(const BenchContext& context, long long workflows) {
  auto result = run_preloaded(context, PreloadedRun{"saga", workflows_of(context, "saga"), "bench-saga",
                                                    "bench.saga", workflows, 1, "compensated", counter_data});
  result.note += "; step 3 fails with weft.fail, steps 2 and 1 are compensated";
  return result;
}

ScenarioResult run_waiting(const BenchContext& context, long long workflows) {
  const std::string scenario = "waiting";
  const std::string source = "bench-waiting";
  BenchDb db(context.url);
  WeftHost host(context, workflows_of(context, "waiting"), scenario);
  host.wait_ready(db);
  std::this_thread::sleep_for(std::chrono::seconds(1));
  const auto idle = host.usage();

  std::vector<std::string> lines;
  for (long long i = 0; i < workflows; ++i)
    lines.push_back(event_line(source, "bench.wait", source + "-" + std::to_string(i), counter_data(i)));
  const auto park_start = Clock::now();
  emit_through_cli(context, scenario, lines);
  auto last_report = Clock::now();
  for (long long parked = 0; (parked = db.waiting()) < workflows;) {
    if (Clock::now() - park_start > std::chrono::seconds(300)) throw std::runtime_error("waiting: parking took too long");
    if (Clock::now() - last_report > std::chrono::seconds(2)) {
      progress(scenario + " parking", parked, workflows);
      last_report = Clock::now();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  const double park_seconds = std::chrono::duration<double>(Clock::now() - park_start).count();
  std::this_thread::sleep_for(std::chrono::seconds(1));
  const auto parked = host.usage();

  const MeasureWindow window(context.url, &host);
  const long long transactions_before = db.own_transactions();
  if (db.signal_all(source, "go") != workflows) throw std::runtime_error("waiting: not every execution was signalled");
  wait_until_done(db, scenario, workflows, std::chrono::seconds(60));
  auto result = conclude(db, host, window, {scenario, source, "completed", workflows, LatencyFrom::SignalCreated,
                                            transactions_before, 1});
  result.rss_mb = parked.rss_mb;
  result.extra["idle_rss_mb"] = idle.rss_mb;
  result.extra["parked_rss_mb"] = parked.rss_mb;
  result.extra["parked_added_mb"] = parked.rss_mb - idle.rss_mb;
  result.extra["park_seconds"] = park_seconds;
  result.note = "events emitted through `weft emit` to a running host until all are parked; rss = after parking; "
                "then one transaction signals all (as `weft signal` does); seconds, wf/s and latency run from that "
                "signal to each finish";
  return result;
}

ScenarioResult run_cold_start(const BenchContext& context, int starts) {
  BenchDb db(context.url);
  {
    // The database must exist and be migrated: a first start that is not measured.
    WeftHost first(context, workflows_of(context, "order-3"), "cold-start-0");
    first.wait_ready(db);
    first.stop();
  }
  std::vector<double> seconds;
  std::vector<double> first_workflow_ms;
  ProcessUsage idle;
  for (int i = 1; i <= starts; ++i) {
    // One event waits for the host: spawn to its execution's finish is the other reading of "ready".
    const std::string source = "bench-cold-" + std::to_string(i);
    db.insert_events(source, "bench.order", {source + "-0"}, {order_data(0, source + "-")});
    const double spawned_ms = db.clock_ms();
    WeftHost host(context, workflows_of(context, "order-3"), "cold-start-" + std::to_string(i));
    seconds.push_back(host.wait_ready(db));
    const auto deadline = Clock::now() + std::chrono::seconds(30);
    std::optional<double> finished_ms;
    while (!(finished_ms = db.last_finished_ms(source)) && Clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    if (!finished_ms) throw std::runtime_error("cold-start: the waiting event was not handled within 30s");
    first_workflow_ms.push_back(*finished_ms - spawned_ms);
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    idle = host.usage();
    host.stop();
  }
  std::sort(seconds.begin(), seconds.end());
  ScenarioResult result;
  result.name = "cold-start";
  result.workflows = starts;
  result.seconds = seconds[seconds.size() / 2];
  result.p50_ms = seconds[seconds.size() / 2] * 1000;
  result.p99_ms = seconds.back() * 1000;
  result.rss_mb = idle.rss_mb;
  std::sort(first_workflow_ms.begin(), first_workflow_ms.end());
  result.extra["spawn_to_first_workflow_ms_p50"] = first_workflow_ms[first_workflow_ms.size() / 2];
  result.note = "workflows = host starts; seconds = median spawn-to-ready (its row in weft.hosts), p99 = slowest; "
                "rss = idle host 0.5 s after ready; spawn_to_first_workflow = spawn to the finish of an order-3 "
                "event stored before the spawn (database clock)";
  return result;
}

ScenarioResult run_tx_step(const BenchContext& context, long long workflows) {
  const std::string source = "bench-tx";
  auto result = run_closed_loop(context, ClosedLoopRun{"tx-step@1", "tx-step", "tx-step", source, "bench.tx",
                                                       workflows, 1, "completed",
                                                       [source](long long i) { return order_data(i, source + "-"); },
                                                       Alongside{}});
  BenchDb db(context.url);
  result.extra["step_attempt_mean_ms"] = db.step_attempt_mean_ms(source, "update");
  return result;
}

}  // namespace weft::bench
