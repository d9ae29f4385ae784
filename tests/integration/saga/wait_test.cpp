// Human tasks and durable timers: `wait` for a signal, `sleep`, across host restarts.
#include "../host/host_fixture.hpp"

#include <pqxx/pqxx>

using weft::test::HostFixture;
using weft::test::step_of;

namespace {

// Parked: status waiting and no host holds it.
bool parked(HostFixture& fx, const std::string& id) {
  pqxx::connection db(fx.url());
  pqxx::nontransaction txn(db);
  const auto row = txn.exec_params1("SELECT status, owner IS NULL FROM weft.executions WHERE id = $1::uuid", id);
  return std::string(row[0].c_str()) == "waiting" && row[1].as<bool>();
}

}  // namespace

TEST_CASE("a signal resumes a waiting execution with its data", "[wait][pg]") {
  HostFixture fx;
  fx.workflow("w.yaml", R"(
id: approve
steps:
  - { id: request, lua: echo.lua }
  - id: approval
    if: ${ input.amount > 100 }
    wait: { signal: approve, timeout: 1h }
  - id: book
    lua: echo.lua
    input: { approved_by: "${ steps.approval.status == 'completed' and steps.approval.output.by or 'auto' }" }
)");
  fx.script("echo.lua", "return function(ctx, input) return input end\n");
  auto host = fx.serve();
  const auto id = fx.start("approve", R"({"amount": 500})");
  REQUIRE(weft::test::eventually([&] { return parked(fx, id); }));
  CHECK(step_of(*fx.store().get_execution(id), "approval").state.status == "running");

  const auto wrong_name = fx.weft({"signal", id, "reject"});
  CHECK(wrong_name.exit_code == 2);
  CHECK(wrong_name.err.find("waits for no signal 'reject'") != std::string::npos);
  const auto bad_data = fx.weft({"signal", id, "approve", "--data", "{oops"});
  CHECK(bad_data.exit_code == 2);
  CHECK(parked(fx, id));  // bad input changed nothing

  const auto delivered = fx.weft({"signal", id, "approve", "--data", R"({"by":"ann"})"});
  REQUIRE(delivered.exit_code == 0);
  const auto detail = fx.finished(id);
  CHECK(detail.summary.status == "completed");
  CHECK(step_of(detail, "approval").state.output.at("by").as_string() == "ann");
  CHECK(detail.output.at("approved_by").as_string() == "ann");

  const auto late = fx.weft({"signal", id, "approve"});
  CHECK(late.exit_code == 1);
  CHECK(late.err.find("already finished (completed)") != std::string::npos);
  CHECK(fx.weft({"signal", "0b5b3c4e-1111-4222-8333-944455556666", "approve"}).exit_code == 1);

  // Below the threshold the wait is skipped.
  const auto small = fx.finished(fx.start("approve", R"({"amount": 5})"));
  CHECK(step_of(small, "approval").state.status == "skipped");
  CHECK(small.output.at("approved_by").as_string() == "auto");
}

TEST_CASE("a wait without its signal fails with code timeout", "[wait][pg]") {
  HostFixture fx;
  fx.workflow("w.yaml", R"(
id: impatient
on_failure: fail
steps:
  - { id: approval, wait: { signal: approve, timeout: 700ms } }
  - { id: never, lua: echo.lua }
)");
  fx.script("echo.lua", "return function(ctx, input) return input end\n");
  auto host = fx.serve();
  const auto id = fx.start("impatient");
  const auto detail = fx.finished(id, std::chrono::seconds(10));
  CHECK(detail.summary.status == "failed");
  CHECK(step_of(detail, "approval").state.error.at("code").as_string() == "timeout");
  CHECK(detail.steps.size() == 1);
  const auto waited = *detail.summary.finished_at - *detail.started_at;
  CHECK(waited >= 650);
  CHECK(waited < 2000);  // on time, within a second
}

TEST_CASE("a sleep survives its host and fires on time on another", "[wait][pg]") {
  HostFixture fx;
  fx.workflow("w.yaml", R"(
id: nap
steps:
  - { id: before, lua: now.lua }
  - { id: nap, sleep: 3s }
  - { id: after, lua: now.lua }
)");
  fx.script("now.lua", "return function(ctx, input) return { at = weft.now() } end\n");
  auto first = fx.serve();
  const auto id = fx.start("nap");
  REQUIRE(weft::test::eventually([&] { return parked(fx, id); }));
  first->kill_hard();  // the timer lives in the database, not in this host
  auto second = fx.serve();
  const auto detail = fx.finished(id, std::chrono::seconds(20));
  CHECK(detail.summary.status == "completed");
  const auto before = step_of(detail, "before").state.output.at("at").as_int64();
  const auto after = step_of(detail, "after").state.output.at("at").as_int64();
  CHECK(after - before >= 3000);
  CHECK(after - before < 4500);
}
