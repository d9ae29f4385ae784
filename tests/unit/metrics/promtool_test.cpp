// A rendered registry with every kind of family, and the engine's families
// (their names and help are a contract), checked by Prometheus' own linter:
// `promtool check metrics` (Debian package `prometheus`, which
// .ci/install-deps installs). Without promtool the test fails: it must run.
#include "engine/engine_metrics.hpp"
#include "metrics/registry.hpp"

#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace {

std::string find_on_path(const std::string& program) {
  const char* path = std::getenv("PATH");
  std::stringstream folders(path ? path : "");
  for (std::string folder; std::getline(folders, folder, ':');) {
    if (folder.empty()) continue;
    const auto candidate = std::filesystem::path(folder) / program;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
  }
  return {};
}

struct Result {
  int exit_code = -1;
  std::string output;
};

/// Runs `command` through the shell; its standard output and error.
Result run(const std::string& command) {
  Result result;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  REQUIRE(pipe != nullptr);
  char buffer[4096];
  for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;) result.output.append(buffer, n);
  const int status = ::pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

/// Fails unless `promtool check metrics` accepts `text` without a remark.
void check_with_promtool(const std::string& text) {
  INFO("rendered:\n" << text);
  const auto promtool = find_on_path("promtool");
  if (promtool.empty()) {
    FAIL("promtool is not on PATH: install the Debian package `prometheus` (.ci/install-deps does); "
         "this test checks the exposition format with it and must not be skipped");
  }
  const auto file = std::filesystem::temp_directory_path() / ("weft-metrics-" + std::to_string(::getpid()) + ".txt");
  {
    std::ofstream out(file);
    out << text;
  }
  const auto checked = run("'" + promtool + "' check metrics < '" + file.string() + "'");
  std::filesystem::remove(file);
  INFO("promtool said:\n" << checked.output);
  CHECK(checked.exit_code == 0);
  CHECK(checked.output.empty());
}

}  // namespace

TEST_CASE("promtool check metrics accepts a rendered registry with every kind of family", "[metrics][promtool]") {
  weft::metrics::Registry registry(3);
  auto& routed = registry.counter("test_events_routed_total", "Events routed.");
  routed.labels().inc(7);
  auto& finished = registry.counter("test_executions_finished_total", "Executions that ended, by status.",
                                    {"workflow", "status"});
  finished.labels({"order", "completed"}).inc(2);
  finished.labels({"order \"quoted\" \\ back\nslash", "failed"}).inc();
  for (int i = 0; i < 5; ++i) finished.labels({"wf-" + std::to_string(i), "completed"}).inc();  // overflows
  registry.counter("test_unused_total", "Registered, never used.", {"workflow"});
  registry.gauge("test_active_executions", "Executions held.").labels().set(3);
  auto& state = registry.gauge("test_circuit_breaker_state", "0 closed, 1 half-open, 2 open.", {"action"});
  state.labels({"plugin:payments.charge"}).set(2);
  state.labels({"lua:order/price.lua"}).set(0);
  auto& durations = registry.histogram("test_step_duration_seconds", "Attempt durations.", {"workflow", "step"},
                                       {0.001, 0.01, 0.1, 1, 10, 60});
  durations.labels({"order", "reserve"}).observe(0.004);
  durations.labels({"order", "reserve"}).observe(12);
  durations.labels({"order", "price"}).observe(0.0001);
  auto& waits = registry.histogram("test_pool_wait_seconds", "Pool waits.", {}, {0.0005, 0.005, 0.05, 0.5, 5});
  waits.labels().observe(0.3);

  const auto text = registry.render();
  CHECK(text.find("_overflow") != std::string::npos);
  check_with_promtool(text);
}

TEST_CASE("promtool check metrics accepts the engine's families", "[metrics][promtool]") {
  weft::metrics::Registry registry;
  weft::engine::EngineMetrics metrics(&registry);
  metrics.events_routed->inc(3);
  metrics.started->labels({"order"}).inc();
  metrics.finished->labels({"order", "completed"}).inc();
  metrics.attempts->labels({"order", "compensate:reserve", "retrying"}).inc();
  metrics.step_duration->labels({"order", "reserve"}).observe(0.02);
  metrics.checkpoint_duration->observe(0.003);
  metrics.pool_in_use->set(1);
  metrics.pool_idle->set(3);
  metrics.pool_size->set(4);
  metrics.pool_wait->observe(0);
  metrics.lock_waits->labels({"order", "reserve"}).inc();
  metrics.lock_wait->observe(0.2);
  metrics.breaker_state->labels({"plugin:payments.charge"}).set(2);
  metrics.active_executions->set(5);
  check_with_promtool(registry.render());
}

