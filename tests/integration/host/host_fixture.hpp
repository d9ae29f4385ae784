// A fresh database, a workflows folder and helpers to run hosts against them.
#pragma once

#include "store/store.hpp"
#include "support/process.hpp"
#include "support/test_database.hpp"

#include <pqxx/pqxx>

#include <catch2/catch.hpp>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace weft::test {

class HostFixture {
 public:
  HostFixture() : store_(std::make_unique<store::Store>(prepared_url())) {}

  const std::string& url() const { return database_.url(); }
  const TempDir& dir() const { return dir_; }
  std::string workflows() const { return (dir_.path() / "workflows").string(); }
  store::Store& store() { return *store_; }

  void workflow(const std::string& relative, const std::string& yaml) {
    dir_.write("workflows/" + relative, yaml);
  }
  void script(const std::string& relative, const std::string& lua) {
    dir_.write("workflows/" + relative, lua);
  }

  std::unique_ptr<HostProcess> serve(const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {"serve", "--workflows", workflows(), "--db", url(), "--workers", "4"};
    args.insert(args.end(), extra.begin(), extra.end());
    return std::make_unique<HostProcess>(args, dir_.path() / ("host-" + std::to_string(++hosts_) + ".log"));
  }

  CommandResult weft(std::vector<std::string> args, const std::string& stdin_text = {}) {
    args.push_back("--db");
    args.push_back(url());
    return run_weft(args, stdin_text);
  }

  /// `weft start WORKFLOW --input JSON` on this fixture's workflows; the execution id.
  std::string start(const std::string& workflow, const std::string& input = "{}") {
    const auto started = weft({"start", workflow, "--workflows", workflows(), "--input", input});
    REQUIRE(started.exit_code == 0);
    return started.out.substr(0, 36);
  }

  /// Runs SQL against this fixture's database (test setup and checks).
  void sql(const std::string& statement) {
    pqxx::connection db(url());
    pqxx::nontransaction txn(db);
    txn.exec(statement);
  }

  /// Waits until the execution has finished; returns its detail.
  store::ExecutionDetail finished(const std::string& execution_id,
                                  std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
    std::optional<store::ExecutionDetail> detail;
    eventually([&] {
      detail = store_->get_execution(execution_id);
      return detail && detail->summary.finished_at.has_value();
    }, timeout);
    REQUIRE(detail.has_value());
    INFO("status " << detail->summary.status << " error " << to_json_text(detail->error));
    REQUIRE(detail->summary.finished_at.has_value());
    return *detail;
  }

  /// The executions a trace caused, once there are `count` of them.
  std::vector<store::ExecutionSummary> executions_of_trace(const std::string& trace_id, std::size_t count) {
    std::vector<store::ExecutionSummary> found;
    eventually([&] {
      found = store_->executions_of_trace(trace_id);
      return found.size() >= count;
    });
    return found;
  }

 private:
  std::string prepared_url() {
    store::migrate(database_.url());
    return database_.url();
  }

  TestDatabase database_;
  TempDir dir_;
  std::unique_ptr<store::Store> store_;
  int hosts_ = 0;
};

/// Runs the test (and the processes it starts) in `directory` until destroyed:
/// commands that would read `./workflows` find none there.
class InDirectory {
 public:
  explicit InDirectory(const std::filesystem::path& directory) : before_(std::filesystem::current_path()) {
    std::filesystem::current_path(directory);
  }
  ~InDirectory() {
    std::error_code ec;
    std::filesystem::current_path(before_, ec);
  }
  InDirectory(const InDirectory&) = delete;
  InDirectory& operator=(const InDirectory&) = delete;

 private:
  std::filesystem::path before_;
};

/// The trace id `weft emit` printed ("accepted source/id trace <id>").
inline std::string trace_of_emit(const std::string& out) {
  const auto at = out.rfind("trace ");
  REQUIRE(at != std::string::npos);
  auto id = out.substr(at + 6);
  while (!id.empty() && (id.back() == '\n' || id.back() == ' ')) id.pop_back();
  return id;
}

inline const store::StepView& step_of(const store::ExecutionDetail& detail, const std::string& id) {
  for (const auto& step : detail.steps) {
    if (step.state.step_id == id) return step;
  }
  FAIL("no step " << id);
  throw std::logic_error("unreachable");
}

}  // namespace weft::test
