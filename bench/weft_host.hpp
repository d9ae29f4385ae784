// A `weft serve` process of the tree being measured, and the measurement
// window around a scenario: host CPU, memory and the database's counters.
#pragma once

#include "bench_db.hpp"
#include "process.hpp"
#include "report.hpp"

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

namespace weft::bench {

/// Everything a scenario needs to know about this run.
struct BenchContext {
  std::string weft;                        ///< the weft executable
  std::filesystem::path home;              ///< WEFT_HOME of the bench cluster; logs and event files
  std::filesystem::path workflows_source;  ///< bench/workflows
  std::string url;                         ///< the bench database
  bool quick = false;
  int workers = 8;
};

class WeftHost {
 public:
  /// Starts `weft serve --workflows <workflows_dir> --workers <workers> <extra_args>` on the bench database.
  WeftHost(const BenchContext& context, const std::filesystem::path& workflows_dir, const std::string& log_name,
           const std::vector<std::string>& extra_args = {});
  /// Polls weft.hosts until this process's row appears; seconds since the spawn.
  double wait_ready(BenchDb& db, std::chrono::seconds timeout = std::chrono::seconds(60));
  ProcessUsage usage() const { return usage_of(process_->pid()); }
  pid_t pid() const { return process_->pid(); }
  const std::filesystem::path& log() const { return log_; }
  /// SIGTERM and wait for the drain.
  void stop() { process_->stop(); }

 private:
  std::unique_ptr<ChildProcess> process_;
  std::chrono::steady_clock::time_point spawned_;
  std::filesystem::path log_;
};

/// Counters at the start of a measurement; `finish` turns their deltas into a row.
class MeasureWindow {
 public:
  /// Reads the host's CPU and the database's counters (on a connection of its own).
  MeasureWindow(const std::string& url, const WeftHost* host);
  /// Fills cpu, write transactions (minus `driver_writes`, the bench's own writing
  /// transactions) and commits per workflow; call after the host has stopped
  /// (its backends flush their statistics on exit), with `end_usage` read before that.
  void finish(ScenarioResult& result, long long workflows, const ProcessUsage& end_usage,
              long long driver_writes, long long driver_transactions) const;

 private:
  std::string url_;
  ProcessUsage start_usage_;
  DbCounters start_counters_;
};

/// Reads the counters on a fresh connection that is closed right after.
DbCounters read_counters(const std::string& url);

/// Writes `lines` to a file and stores them through `weft emit` (its stdin batches).
void emit_through_cli(const BenchContext& context, const std::string& name, const std::vector<std::string>& lines);

/// A progress line on stderr: "[scenario] done/total".
void progress(const std::string& scenario, long long done, long long total);

}  // namespace weft::bench
