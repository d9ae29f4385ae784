// The denominators: the same work hand-written on libpqxx, with the same
// durability as weft (a row per execution, a committed checkpoint per step, the
// SQL of a transactional step in one transaction with its checkpoint).
#include "scenarios.hpp"

#include <pqxx/pqxx>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <mutex>
#include <random>
#include <thread>

namespace weft::bench {
namespace {

using Clock = std::chrono::steady_clock;

double process_cpu_ms() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const auto ms = [](const timeval& t) { return t.tv_sec * 1000.0 + t.tv_usec / 1000.0; };
  return ms(usage.ru_utime) + ms(usage.ru_stime);
}

// What order-3's Lua step 2 computes: a ~200-byte document from the order.
std::string compute_output(const std::string& order_id, int sku, long long stock_left) {
  double amount = 0;
  for (int i = 1; i <= 20; ++i) amount += (sku * i) % 7;
  char buffer[256];
  std::snprintf(buffer, sizeof buffer,
                R"({"order_id":"%s","sku":%d,"qty":1,"amount":%.2f,"currency":"EUR","stock_left":%lld,)"
                R"("channel":"bench","note":"priced with 20 rounds of arithmetic to stand in for real work"})",
                order_id.c_str(), sku, 9.99 + amount / 100, stock_left);
  return buffer;
}

void prepare_order3(pqxx::connection& connection) {
  connection.prepare("start", "INSERT INTO bench.baseline_executions (id, workflow, status, input)"
                              " VALUES ($1, 'order-3', 'running', $2::jsonb)");
  connection.prepare("reserve", "UPDATE bench.inventory SET stock = stock - $1 WHERE sku = $2 RETURNING stock");
  connection.prepare("checkpoint", "INSERT INTO bench.baseline_steps (execution_id, step_id, output)"
                                   " VALUES ($1, $2, $3::jsonb)");
  connection.prepare("record", "INSERT INTO bench.orders (order_id, sku, qty, amount) VALUES ($1, $2, $3, $4)");
  connection.prepare("finish", "UPDATE bench.baseline_executions SET status = 'completed', output = $2::jsonb,"
                               " finished_at = now() WHERE id = $1");
}

// One order-3 workflow: five commits.
void order3_once(pqxx::connection& connection, long long id, int sku) {
  const std::string order_id = "baseline-" + std::to_string(id);
  {
    pqxx::nontransaction txn(connection);
    txn.exec_prepared("start", id,
                      R"({"order_id":")" + order_id + R"(","sku":)" + std::to_string(sku) + R"(,"qty":1})");
  }
  long long left = 0;
  {
    pqxx::work txn(connection);
    left = txn.exec_prepared1("reserve", 1, sku)[0].as<long long>();
    txn.exec_prepared("checkpoint", id, "reserve", R"({"left":)" + std::to_string(left) + "}");
    txn.commit();
  }
  const auto computed = compute_output(order_id, sku, left);
  {
    pqxx::nontransaction txn(connection);
    txn.exec_prepared("checkpoint", id, "compute", computed);
  }
  {
    pqxx::work txn(connection);
    txn.exec_prepared("record", order_id, sku, 1, "9.99");
    txn.exec_prepared("checkpoint", id, "record", R"({"order_id":")" + order_id + R"(","status":"confirmed"})");
    txn.commit();
  }
  {
    pqxx::nontransaction txn(connection);
    txn.exec_prepared("finish", id, R"({"order_id":")" + order_id + R"(","status":"confirmed"})");
  }
}

struct ThreadedRun {
  std::vector<double> latencies_ms;
  double seconds = 0;
  double cpu_ms = 0;
};

// `threads` connections take workflows from one counter until `workflows` are done.
template <typename Prepare, typename Once>
ThreadedRun run_threads(const std::string& url, const std::string& scenario, long long workflows, int threads,
                        Prepare prepare, Once once) {
  std::atomic<long long> next{0};
  std::mutex merge;
  ThreadedRun run;
  std::vector<std::unique_ptr<pqxx::connection>> connections;
  for (int t = 0; t < threads; ++t) {
    connections.push_back(std::make_unique<pqxx::connection>(url));
    prepare(*connections.back());
  }
  const double cpu_start = process_cpu_ms();
  const auto start = Clock::now();
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      std::mt19937 random(static_cast<unsigned>(t + 1));
      std::vector<double> mine;
      for (long long i; (i = next.fetch_add(1)) < workflows;) {
        const auto began = Clock::now();
        once(*connections[t], i, static_cast<int>(1 + random() % 10000));
        mine.push_back(std::chrono::duration<double, std::milli>(Clock::now() - began).count());
        if (t == 0 && i % 2000 == 0 && i > 0) progress(scenario, i, workflows);
      }
      std::lock_guard lock(merge);
      run.latencies_ms.insert(run.latencies_ms.end(), mine.begin(), mine.end());
    });
  }
  for (auto& worker : workers) worker.join();
  run.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  run.cpu_ms = process_cpu_ms() - cpu_start;
  return run;
}

ScenarioResult result_of(const std::string& name, ThreadedRun& run, long long workflows) {
  ScenarioResult result;
  result.name = name;
  result.workflows = workflows;
  result.seconds = run.seconds;
  result.workflows_per_second = static_cast<double>(workflows) / run.seconds;
  result.p50_ms = percentile(run.latencies_ms, 0.5);
  result.p99_ms = percentile(run.latencies_ms, 0.99);
  result.host_cpu_ms_per_workflow = run.cpu_ms / static_cast<double>(workflows);
  return result;
}

}  // namespace

ScenarioResult run_baseline(const BenchContext& context, long long workflows, int threads) {
  // Ids of different runs must not collide: each run takes its own million.
  static long long id_base = 0;
  id_base += 1000000;
  const long long base = id_base;
  const auto name = "baseline@" + std::to_string(threads);
  const MeasureWindow window(context.url, nullptr);
  auto run = run_threads(context.url, name, workflows, threads, prepare_order3,
                         [base](pqxx::connection& c, long long i, int sku) { order3_once(c, base + i, sku); });
  auto result = result_of(name, run, workflows);
  window.finish(result, workflows, ProcessUsage{}, 0, 0);  // no host: keeps the driver's cpu
  result.note = "order-3 hand-written on libpqxx, " + std::to_string(threads) +
                " thread(s) with a connection each, prepared statements, 5 commits per workflow (execution row, "
                "step 1 + checkpoint, step 2 checkpoint, step 3 + checkpoint, finish); latency client-side; cpu = "
                "this driver process";
  return result;
}

ScenarioResult run_raw_tx_step(const BenchContext& context, long long workflows) {
  static long long id_base = 0;
  id_base += 1000000;
  const long long base = id_base;
  const MeasureWindow window(context.url, nullptr);
  auto run = run_threads(
      context.url, "tx-raw@1", workflows, 1,
      [](pqxx::connection& c) {
        c.prepare("update", "UPDATE bench.inventory SET stock = stock - 1 WHERE sku = $1 RETURNING stock");
        c.prepare("checkpoint", "INSERT INTO bench.raw_checkpoints (id, output) VALUES ($1, $2::jsonb)");
      },
      [base](pqxx::connection& c, long long i, int sku) {
        pqxx::work txn(c);
        const auto left = txn.exec_prepared1("update", sku)[0].as<long long>();
        txn.exec_prepared("checkpoint", base + i, R"({"left":)" + std::to_string(left) + "}");
        txn.commit();
      });
  auto result = result_of("tx-raw@1", run, workflows);
  window.finish(result, workflows, ProcessUsage{}, 0, 0);  // no host: keeps the driver's cpu
  result.note = "tx-step's UPDATE plus a checkpoint row in one libpqxx transaction, 1 connection, one after another";
  return result;
}

}  // namespace weft::bench
