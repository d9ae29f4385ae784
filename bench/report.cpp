#include "report.hpp"

#include <boost/json.hpp>
#include <sys/sysinfo.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <stdexcept>
#include <thread>

namespace weft::bench {
namespace {

std::string cpu_model() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpuinfo, line)) {
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  }
  return "unknown";
}

std::string utc_now() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return buffer;
}

std::string cell(const std::optional<double>& value, int decimals) {
  if (!value) return "-";
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.*f", decimals, *value);
  return buffer;
}

boost::json::value number_or_null(const std::optional<double>& value) {
  if (!value) return nullptr;
  return *value;
}

}  // namespace

std::string read_load_average() {
  std::ifstream file("/proc/loadavg");
  std::string one, five, fifteen;
  file >> one >> five >> fifteen;
  return one + " " + five + " " + fifteen;
}

Machine describe_machine(const std::string& postgres_version, bool quick, int workers, std::string load_average) {
  struct sysinfo info {};
  sysinfo(&info);
  Machine machine;
  machine.cpu_model = cpu_model();
  machine.cores = static_cast<int>(std::thread::hardware_concurrency());
  machine.memory_gb = static_cast<double>(info.totalram) * info.mem_unit / (1024.0 * 1024 * 1024);
  machine.postgres_version = postgres_version;
  machine.date = utc_now();
  machine.mode = quick ? "quick" : "full";
  machine.workers = workers;
  machine.load_average = std::move(load_average);
  return machine;
}

void print_table(const Machine& machine, const std::vector<ScenarioResult>& results) {
  std::printf("machine: %s, %d cores, %.1f GB, PostgreSQL %s, %s, load average before the run %s, "
              "single-row commit p50 %.2f ms; %s mode, weft serve --workers %d\n\n",
              machine.cpu_model.c_str(), machine.cores, machine.memory_gb, machine.postgres_version.c_str(),
              machine.date.c_str(), machine.load_average.c_str(), machine.commit_p50_ms, machine.mode.c_str(),
              machine.workers);
  std::printf("| %-14s | %9s | %7s | %9s | %8s | %8s | %11s | %9s | %7s | %11s |\n", "scenario", "workflows",
              "seconds", "wf/s", "p50 ms", "p99 ms", "cpu ms/wf", "wtxn/wf", "rss MB", "baseline/s");
  std::printf("|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|\n", std::string(16, '-').c_str(), std::string(11, '-').c_str(),
              std::string(9, '-').c_str(), std::string(11, '-').c_str(), std::string(10, '-').c_str(),
              std::string(10, '-').c_str(), std::string(13, '-').c_str(), std::string(11, '-').c_str(),
              std::string(9, '-').c_str(), std::string(13, '-').c_str());
  for (const auto& result : results) {
    const std::optional<double> workflows =
        result.workflows ? std::optional<double>(static_cast<double>(*result.workflows)) : std::nullopt;
    std::printf("| %-14s | %9s | %7s | %9s | %8s | %8s | %11s | %9s | %7s | %11s |\n", result.name.c_str(),
                cell(workflows, 0).c_str(), cell(result.seconds, 2).c_str(),
                cell(result.workflows_per_second, 0).c_str(), cell(result.p50_ms, 2).c_str(),
                cell(result.p99_ms, 2).c_str(), cell(result.host_cpu_ms_per_workflow, 3).c_str(),
                cell(result.write_txns_per_workflow, 2).c_str(), cell(result.rss_mb, 1).c_str(),
                cell(result.baseline_workflows_per_second, 0).c_str());
  }
  std::printf("\n");
  for (const auto& result : results) {
    std::string extras;
    for (const auto& [key, value] : result.extra) extras += " " + key + "=" + cell(value, 3);
    std::printf("- %s: %s%s%s\n", result.name.c_str(), result.note.c_str(), extras.empty() ? "" : ";",
                extras.c_str());
  }
  std::fflush(stdout);
}

void write_json(const std::string& file, const Machine& machine, const std::vector<ScenarioResult>& results) {
  boost::json::array scenarios;
  for (const auto& result : results) {
    boost::json::object scenario{
        {"name", result.name},
        {"workflows", result.workflows ? boost::json::value(*result.workflows) : boost::json::value(nullptr)},
        {"seconds", number_or_null(result.seconds)},
        {"workflows_per_second", number_or_null(result.workflows_per_second)},
        {"p50_ms", number_or_null(result.p50_ms)},
        {"p99_ms", number_or_null(result.p99_ms)},
        {"host_cpu_ms_per_workflow", number_or_null(result.host_cpu_ms_per_workflow)},
        {"write_txns_per_workflow", number_or_null(result.write_txns_per_workflow)},
        {"rss_mb", number_or_null(result.rss_mb)},
        {"baseline_workflows_per_second", number_or_null(result.baseline_workflows_per_second)}};
    if (!result.extra.empty()) {
      boost::json::object extra;
      for (const auto& [key, value] : result.extra) extra[key] = value;
      scenario["extra"] = std::move(extra);
    }
    scenarios.push_back(std::move(scenario));
  }
  const boost::json::object document{
      {"machine",
       {{"cpu_model", machine.cpu_model},
        {"cores", machine.cores},
        {"memory_gb", machine.memory_gb},
        {"postgres_version", machine.postgres_version},
        {"date", machine.date},
        {"mode", machine.mode},
        {"weft_workers", machine.workers},
        {"load_average", machine.load_average},
        {"commit_p50_ms", machine.commit_p50_ms}}},
      {"scenarios", std::move(scenarios)}};
  std::ofstream out(file);
  if (!out) throw std::runtime_error("cannot write " + file);
  out << boost::json::serialize(document) << "\n";
}

double percentile(std::vector<double>& values, double fraction) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const auto index = static_cast<std::size_t>(fraction * static_cast<double>(values.size() - 1) + 0.5);
  return values[std::min(index, values.size() - 1)];
}

}  // namespace weft::bench
