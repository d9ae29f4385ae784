#include "weft_host.hpp"

#include <cstdio>
#include <fstream>
#include <stdexcept>
#include <thread>

namespace weft::bench {

WeftHost::WeftHost(const BenchContext& context, const std::filesystem::path& workflows_dir,
                   const std::string& log_name, const std::vector<std::string>& extra_args)
    : spawned_(std::chrono::steady_clock::now()), log_(context.home / "logs" / (log_name + ".log")) {
  std::filesystem::create_directories(log_.parent_path());
  std::filesystem::remove(log_);  // a port or error logged by an earlier run must not be read
  std::vector<std::string> args{"serve", "--workflows", workflows_dir.string(), "--db", context.url, "--workers",
                                std::to_string(context.workers)};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  process_ = std::make_unique<ChildProcess>(context.weft, args, Environment{"WEFT_HOME=" + context.home.string()}, log_);
}

double WeftHost::wait_ready(BenchDb& db, std::chrono::seconds timeout) {
  const auto deadline = spawned_ + timeout;
  while (!db.host_registered(process_->pid())) {
    if (!process_->running()) throw std::runtime_error("weft serve exited before it was ready; see " + log_.string());
    if (std::chrono::steady_clock::now() > deadline)
      throw std::runtime_error("weft serve was not ready in time; see " + log_.string());
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - spawned_).count();
}

DbCounters read_counters(const std::string& url) {
  BenchDb db(url);
  return db.counters();
}

MeasureWindow::MeasureWindow(const std::string& url, const WeftHost* host)
    : url_(url), start_usage_(host ? host->usage() : ProcessUsage{}), start_counters_(read_counters(url)) {}

void MeasureWindow::finish(ScenarioResult& result, long long workflows, const ProcessUsage& end_usage,
                           long long driver_writes, long long driver_transactions) const {
  if (workflows <= 0) return;
  // Backends flush their statistics when they exit: give the stopped host's a moment.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const auto end = read_counters(url_);
  const double count = static_cast<double>(workflows);
  if (end_usage.cpu_ms > 0) result.host_cpu_ms_per_workflow = (end_usage.cpu_ms - start_usage_.cpu_ms) / count;
  result.write_txns_per_workflow =
      static_cast<double>(end.next_xid - start_counters_.next_xid - driver_writes) / count;
  // The driver's own polls and inserts run on the same server: their share.
  if (driver_transactions > 0) result.extra["driver_statements_per_workflow"] = driver_transactions / count;
  // +1: the commit of the read that took the start counters.
  result.extra["commits_per_workflow"] =
      static_cast<double>(end.commits - start_counters_.commits - driver_transactions - 1) / count;
}

void emit_through_cli(const BenchContext& context, const std::string& name, const std::vector<std::string>& lines) {
  const auto file = context.home / "events" / (name + ".jsonl");
  std::filesystem::create_directories(file.parent_path());
  {
    std::ofstream out(file);
    for (const auto& line : lines) out << line << '\n';
  }
  const auto result = run_command(context.weft, {"emit", "--db", context.url},
                                  Environment{"WEFT_HOME=" + context.home.string()}, file,
                                  context.home / "logs" / ("emit-" + name + ".log"));
  if (result.exit_code != 0)
    throw std::runtime_error("weft emit failed (exit " + std::to_string(result.exit_code) + "); see " +
                             (context.home / "logs" / ("emit-" + name + ".log")).string());
}

void progress(const std::string& scenario, long long done, long long total) {
  std::fprintf(stderr, "[%s] %lld/%lld\n", scenario.c_str(), done, total);
}

}  // namespace weft::bench
