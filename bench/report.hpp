// One row per scenario, printed as a table and written as JSON.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace weft::bench {

struct ScenarioResult {
  std::string name;
  std::optional<long long> workflows;
  std::optional<double> seconds;
  std::optional<double> workflows_per_second;
  std::optional<double> p50_ms;
  std::optional<double> p99_ms;
  std::optional<double> host_cpu_ms_per_workflow;
  std::optional<double> write_txns_per_workflow;
  std::optional<double> rss_mb;
  std::optional<double> baseline_workflows_per_second;
  /// Numbers only this scenario has (routing µs per match, RSS before parking...).
  std::map<std::string, double> extra;
  /// How the scenario was fed and measured, one line for the table's notes.
  std::string note;
};

struct Machine {
  std::string cpu_model;
  int cores = 0;
  double memory_gb = 0;
  std::string postgres_version;
  std::string date;
  std::string mode;  ///< quick or full
  int workers = 0;   ///< weft serve --workers
  std::string load_average;  ///< /proc/loadavg at the start: the machine may be shared
  double commit_p50_ms = 0;  ///< one durable single-row commit, measured at the start
};

/// The value below which `fraction` of `values` lie (sorts them); 0 when empty.
double percentile(std::vector<double>& values, double fraction);

/// `load_average` is /proc/loadavg read before the first scenario.
Machine describe_machine(const std::string& postgres_version, bool quick, int workers, std::string load_average);
std::string read_load_average();
void print_table(const Machine& machine, const std::vector<ScenarioResult>& results);
void write_json(const std::string& file, const Machine& machine, const std::vector<ScenarioResult>& results);

}  // namespace weft::bench
