// weft-bench: starts its own embedded database, runs every scenario against a
// real `weft serve` of this tree (and the libpqxx baselines), prints a table
// and optionally writes JSON. See bench/README.md.
#include "bench_db.hpp"
#include "http_scenarios.hpp"
#include "report.hpp"
#include "scenarios.hpp"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <functional>
#include <set>
#include <string_view>

#include <unistd.h>
#include <stdexcept>

namespace {

using namespace weft::bench;

constexpr const char* kUsage =
    "usage: weft-bench [--quick] [--json FILE] [--only SCENARIO...] [--workers N] [--home DIR]\n"
    "                  [--weft PATH] [--keep-db]\n"
    "scenarios: order-3 (= order-3@1 baseline@1 order-3@50 baseline@50) noop-3 fan-out saga waiting\n"
    "           cold-start tx-step (= tx-step@1 tx-raw@1)\n"
    "  --quick     small sizes (a smoke test, about a minute)\n"
    "  --json      also write the results as JSON to FILE\n"
    "  --workers   weft serve --workers for every host (default 8)\n"
    "  --home      WEFT_HOME of the bench's embedded cluster (default: bench-home in the build tree)\n"
    "  --keep-db   leave the cluster running afterwards";

// --only takes a group (order-3 runs its baselines too) or a single row.
const std::vector<std::string> kSelectable = {"order-3",  "order-3@1", "baseline@1", "order-3@50", "baseline@50",
                                              "noop-3",   "fan-out",   "saga",       "waiting",    "cold-start",
                                              "tx-step",  "tx-step@1", "tx-raw@1",
                                              "http",     "http-intake@50", "order-3@50+http", "order-3@50+streams",
                                              "order-3@50+firehose", "otlp", "order-3@50+otlp"};

struct Options {
  bool quick = false;
  bool keep_db = false;
  std::string json;
  std::set<std::string> only;
  int workers = 8;
  std::string home = WEFT_BENCH_HOME;
  std::string weft = WEFT_BINARY;
};

struct Sizes {
  long long order3_one, order3_fifty, noop3, fan_out_events, saga, waiting, tx_step;
  int cold_starts;
  long long intake_events;
  int stream_clients, firehose_clients;
};

constexpr Sizes kQuick{100, 300, 300, 6, 200, 200, 100, 2, 1000, 1000, 10};
constexpr Sizes kFull{20000, 20000, 20000, 200, 5000, 10000, 1000, 5, 20000, 1000, 100};  // order-3: 20,000 each

int parse_int(const std::string& text, const std::string& flag) {
  int value = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || ptr != text.data() + text.size() || value < 1)
    throw std::invalid_argument(flag + " needs a positive integer, got '" + text + "'");
  return value;
}

Options parse_options(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::invalid_argument(arg + " needs a value");
      return argv[++i];
    };
    if (arg == "--help" || arg == "-h") {
      std::puts(kUsage);
      std::exit(0);
    } else if (arg == "--quick") {
      options.quick = true;
    } else if (arg == "--keep-db") {
      options.keep_db = true;
    } else if (arg == "--json") {
      options.json = value();
    } else if (arg == "--workers") {
      options.workers = parse_int(value(), arg);
    } else if (arg == "--home") {
      options.home = value();
    } else if (arg == "--weft") {
      options.weft = value();
    } else if (arg == "--only") {
      for (; i + 1 < argc && argv[i + 1][0] != '-'; ++i) {
        if (std::find(kSelectable.begin(), kSelectable.end(), argv[i + 1]) == kSelectable.end())
          throw std::invalid_argument(std::string("unknown scenario '") + argv[i + 1] + "'");
        options.only.insert(argv[i + 1]);
        // otlp's row is compared with order-3@50 of the same run.
        if (std::string_view(argv[i + 1]) == "otlp") options.only.insert("order-3@50");
      }
      if (options.only.empty()) throw std::invalid_argument("--only needs at least one scenario");
    } else {
      throw std::invalid_argument("unknown argument '" + arg + "'");
    }
  }
  return options;
}

std::string trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

// Starts the embedded cluster under `home` and returns a fresh database on it.
std::string prepare_database(const BenchContext& context) {
  const Environment environment{"WEFT_HOME=" + context.home.string()};
  const auto log = context.home / "logs" / "db.log";
  if (run_command(context.weft, {"db", "start"}, environment, {}, log).exit_code != 0)
    throw std::runtime_error("weft db start failed; see " + log.string());
  const auto url = run_command(context.weft, {"db", "url"}, environment, {}, log);
  if (url.exit_code != 0) throw std::runtime_error("weft db url failed; see " + log.string());
  recreate_database(trimmed(url.out), "weft_bench");
  const auto bench_url = with_database(trimmed(url.out), "weft_bench");
  create_bench_tables(bench_url, 10000);
  return bench_url;
}

// Best effort: it runs from a destructor, possibly while an error unwinds.
void stop_database(const BenchContext& context) noexcept {
  try {
    run_command(context.weft, {"db", "stop"}, {"WEFT_HOME=" + context.home.string()}, {},
                context.home / "logs" / "db.log");
  } catch (const std::exception& error) {
    std::fprintf(stderr, "weft-bench: could not stop the bench cluster: %s\n", error.what());
  }
}

// Stops the cluster however the run ends (unless asked to keep it).
class DatabaseGuard {
 public:
  DatabaseGuard(const BenchContext& context, bool keep) : context_(context), keep_(keep) {}
  ~DatabaseGuard() {
    if (!keep_) stop_database(context_);
  }
  DatabaseGuard(const DatabaseGuard&) = delete;
  DatabaseGuard& operator=(const DatabaseGuard&) = delete;

 private:
  const BenchContext& context_;
  bool keep_;
};

ScenarioResult* find(std::vector<ScenarioResult>& results, const std::string& name) {
  for (auto& result : results)
    if (result.name == name) return &result;
  return nullptr;
}

// The rows that have a denominator get it (and their ratio) once both ran.
void link_baselines(std::vector<ScenarioResult>& results) {
  const auto link = [&](const std::string& name, const std::string& baseline_name) {
    auto* row = find(results, name);
    const auto* baseline = find(results, baseline_name);
    if (!row || !baseline || !baseline->workflows_per_second) return;
    row->baseline_workflows_per_second = baseline->workflows_per_second;
    if (row->workflows_per_second)
      row->extra["ratio_to_baseline"] = *row->workflows_per_second / *baseline->workflows_per_second;
    if (row->p50_ms && baseline->p50_ms && *baseline->p50_ms > 0) {
      row->extra["overhead_ms_p50"] = *row->p50_ms - *baseline->p50_ms;
      row->extra["p50_ratio_to_baseline"] = *row->p50_ms / *baseline->p50_ms;
    }
  };
  link("order-3@1", "baseline@1");
  link("order-3@50", "baseline@50");
  link("tx-step@1", "tx-raw@1");
  // What exporting spans adds: host CPU per workflow against the same run's order-3@50.
  const auto* untraced = find(results, "order-3@50");
  auto* traced = find(results, "order-3@50+otlp");
  if (untraced && traced && untraced->host_cpu_ms_per_workflow && traced->host_cpu_ms_per_workflow &&
      *untraced->host_cpu_ms_per_workflow > 0)
    traced->extra["cpu_ratio_to_order-3@50"] = *traced->host_cpu_ms_per_workflow / *untraced->host_cpu_ms_per_workflow;
  // What stream clients add: host CPU per workflow against the same host without them.
  const auto* plain = find(results, "order-3@50+http");
  for (const char* name : {"order-3@50+streams", "order-3@50+firehose"}) {
    auto* streamed = find(results, name);
    if (plain && streamed && plain->host_cpu_ms_per_workflow && streamed->host_cpu_ms_per_workflow &&
        *plain->host_cpu_ms_per_workflow > 0)
      streamed->extra["cpu_ratio_to_no_streams"] =
          *streamed->host_cpu_ms_per_workflow / *plain->host_cpu_ms_per_workflow;
  }
}

int run(const Options& options) {
  if (access(options.weft.c_str(), X_OK) != 0)
    throw std::invalid_argument("no weft executable at " + options.weft + " (build it, or pass --weft PATH)");
  BenchContext context;
  context.weft = options.weft;
  context.home = std::filesystem::absolute(options.home);
  context.workflows_source = WEFT_BENCH_WORKFLOWS;
  context.quick = options.quick;
  context.workers = options.workers;
  std::filesystem::create_directories(context.home / "logs");
  const DatabaseGuard database_guard(context, options.keep_db);
  context.url = prepare_database(context);
  std::fprintf(stderr, "bench database %s; logs in %s\n", context.url.c_str(), (context.home / "logs").c_str());

  const auto load_before = read_load_average();
  const double commit_ms = probe_commit_ms(context.url, 200);
  const Sizes sizes = options.quick ? kQuick : kFull;
  struct Step {
    std::string group, row;
    std::function<ScenarioResult()> run;
  };
  const std::vector<Step> steps = {
      {"order-3", "order-3@1", [&] { return run_order3(context, sizes.order3_one, 1); }},
      {"order-3", "baseline@1", [&] { return run_baseline(context, sizes.order3_one, 1); }},
      {"order-3", "order-3@50", [&] { return run_order3(context, sizes.order3_fifty, 50); }},
      {"order-3", "baseline@50", [&] { return run_baseline(context, sizes.order3_fifty, 50); }},
      {"noop-3", "noop-3", [&] { return run_noop3(context, sizes.noop3); }},
      {"fan-out", "fan-out", [&] { return run_fan_out(context, sizes.fan_out_events); }},
      {"saga", "saga", [&] { return run_saga(context, sizes.saga); }},
      {"waiting", "waiting", [&] { return run_waiting(context, sizes.waiting); }},
      {"cold-start", "cold-start", [&] { return run_cold_start(context, sizes.cold_starts); }},
      {"tx-step", "tx-step@1", [&] { return run_tx_step(context, sizes.tx_step); }},
      {"tx-step", "tx-raw@1", [&] { return run_raw_tx_step(context, sizes.tx_step); }},
      {"http", "http-intake@50", [&] { return run_http_intake(context, sizes.intake_events, 50); }},
      {"http", "order-3@50+http", [&] { return run_order3_http(context, sizes.order3_fifty); }},
      {"http", "order-3@50+streams",
       [&] { return run_order3_streams(context, sizes.order3_fifty, subscribers_of_own_traces(sizes.stream_clients)); }},
      {"otlp", "order-3@50+otlp", [&] { return run_order3_otlp(context, sizes.order3_fifty); }},
      {"http", "order-3@50+firehose",
       [&] { return run_order3_streams(context, sizes.order3_fifty, firehose(sizes.firehose_clients)); }},
  };
  std::vector<ScenarioResult> results;
  int failures = 0;
  for (const auto& step : steps) {
    if (!options.only.empty() && !options.only.count(step.group) && !options.only.count(step.row)) continue;
    try {
      vacuum_database(context.url);
      const double load = std::stod(read_load_average());  // the 1-minute figure comes first
      results.push_back(step.run());
      results.back().extra["load_1m_at_start"] = load;
      const auto& last = results.back();
      std::fprintf(stderr, "[%s] done: %lld workflows in %.2fs\n", last.name.c_str(), last.workflows.value_or(0),
                   last.seconds.value_or(0));
    } catch (const std::exception& error) {
      ++failures;
      std::fprintf(stderr, "[%s] FAILED: %s\n", step.row.c_str(), error.what());
    }
  }
  link_baselines(results);
  auto machine = describe_machine(BenchDb(context.url).server_version(), options.quick, options.workers,
                                  load_before);
  machine.commit_p50_ms = commit_ms;
  print_table(machine, results);
  if (!options.json.empty()) write_json(options.json, machine, results);
  return failures == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(parse_options(argc, argv));
  } catch (const std::invalid_argument& error) {
    std::fprintf(stderr, "weft-bench: %s\n%s\n", error.what(), kUsage);
    return 2;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "weft-bench: %s\n", error.what());
    return 1;
  }
}
