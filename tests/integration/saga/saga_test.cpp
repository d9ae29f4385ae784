// Compensation (saga), the dead-letter queue and cancel, on real hosts and PostgreSQL.
#include "../host/host_fixture.hpp"

#include <pqxx/pqxx>

#include <algorithm>
#include <thread>

using weft::test::HostFixture;
using weft::test::step_of;

namespace {

// A compensation writes its step id into undo_log, so the order is on record.
constexpr const char* kUndo = R"lua(return function(ctx, input)
  ctx.db:exec("INSERT INTO undo_log (step) VALUES ($1)", ctx.step)
  return { undone = ctx.step }
end
)lua";
constexpr const char* kDo = "return function(ctx, input) return { did = ctx.step } end\n";
constexpr const char* kFail = "return function(ctx, input) weft.fail('declined', 'card declined') end\n";

std::vector<std::string> undo_order(const std::string& url) {
  pqxx::connection db(url);
  pqxx::nontransaction txn(db);
  std::vector<std::string> order;
  for (const auto& row : txn.exec("SELECT step FROM undo_log ORDER BY seq")) order.push_back(row[0].c_str());
  return order;
}

}  // namespace

TEST_CASE("compensations run in reverse order of completion", "[saga][pg]") {
  HostFixture fx;
  fx.sql("CREATE TABLE undo_log (seq serial PRIMARY KEY, step text NOT NULL)");
  fx.workflow("w.yaml", R"(
id: trip
steps:
  - { id: flight, lua: do.lua, compensate: { lua: undo.lua, transaction: true } }
  - { id: hotel,  lua: do.lua, compensate: { lua: undo.lua, transaction: true } }
  - { id: note,   lua: do.lua }
  - { id: car,    lua: do.lua, compensate: { lua: undo.lua, transaction: true } }
  - { id: pay,    lua: fail.lua, compensate: { lua: undo.lua, transaction: true } }
)");
  fx.script("do.lua", kDo);
  fx.script("undo.lua", kUndo);
  fx.script("fail.lua", kFail);
  auto host = fx.serve();
  const auto detail = fx.finished(fx.start("trip"));
  CHECK(detail.summary.status == "compensated");
  CHECK(detail.error.at("code").as_string() == "declined");
  CHECK(detail.error.at("step").as_string() == "pay");
  // Only completed steps that declare a compensation are undone; the failed one is not.
  CHECK(undo_order(fx.url()) ==
        std::vector<std::string>{"compensate:car", "compensate:hotel", "compensate:flight"});
  CHECK(step_of(detail, "flight").state.status == "compensated");
  CHECK(step_of(detail, "note").state.status == "completed");
  CHECK(step_of(detail, "pay").state.status == "failed");
  REQUIRE(detail.compensations.size() == 3);
  for (const auto& compensation : detail.compensations) {
    CHECK(compensation.state.status == "compensated");
    CHECK(compensation.attempts.size() == 1);
  }
}

TEST_CASE("compensations of a DAG follow the order its steps completed in", "[saga][pg]") {
  HostFixture fx;
  fx.sql("CREATE TABLE undo_log (seq serial PRIMARY KEY, step text NOT NULL)");
  fx.workflow("w.yaml", R"(
id: fan
steps:
  - { id: root, lua: do.lua, compensate: { lua: undo.lua, transaction: true } }
  - { id: left, lua: slow.lua, after: [root], input: { ms: 300 }, compensate: { lua: undo.lua, transaction: true } }
  - { id: right, lua: slow.lua, after: [root], input: { ms: 50 }, compensate: { lua: undo.lua, transaction: true } }
  - { id: join, lua: fail.lua, after: [left, right] }
)");
  fx.script("do.lua", kDo);
  fx.script("undo.lua", kUndo);
  fx.script("fail.lua", kFail);
  fx.script("slow.lua", R"(return function(ctx, input)
  local until_ms = weft.now() + input.ms
  while weft.now() < until_ms do end
  return {}
end
)");
  auto host = fx.serve();
  const auto detail = fx.finished(fx.start("fan"));
  CHECK(detail.summary.status == "compensated");
  // right finished before left, so left is undone first, root last.
  CHECK(step_of(detail, "right").attempts.at(0).finished_at < step_of(detail, "left").attempts.at(0).finished_at);
  CHECK(undo_order(fx.url()) ==
        std::vector<std::string>{"compensate:left", "compensate:right", "compensate:root"});
}

TEST_CASE("a compensation that exhausts its retries puts the execution in the dead-letter queue", "[saga][dlq][pg]") {
  HostFixture fx;
  fx.sql("CREATE TABLE undo_log (seq serial PRIMARY KEY, step text NOT NULL)");
  fx.sql("CREATE TABLE switch (ok boolean NOT NULL); INSERT INTO switch VALUES (false)");
  fx.workflow("w.yaml", R"(
id: stuck
steps:
  - id: reserve
    lua: do.lua
    compensate:
      lua: fragile_undo.lua
      transaction: true
      retry: { max_attempts: 2, initial_interval: 10ms }
  - { id: pay, lua: fail.lua }
)");
  fx.script("do.lua", kDo);
  fx.script("fail.lua", kFail);
  fx.script("fragile_undo.lua", R"lua(return function(ctx, input)
  if not ctx.db:query_one("SELECT ok FROM switch").ok then error("the inventory service is down") end
  ctx.db:exec("INSERT INTO undo_log (step) VALUES ($1)", ctx.step)
  return {}
end
)lua");
  auto host = fx.serve();
  const auto id = fx.start("stuck");
  const auto detail = fx.finished(id);
  CHECK(detail.summary.status == "failed");
  CHECK(detail.error.at("code").as_string() == "compensation_failed");
  CHECK(detail.error.at("step").as_string() == "reserve");
  CHECK(detail.error.at("cause").at("code").as_string() == "declined");
  REQUIRE(detail.compensations.size() == 1);
  CHECK(detail.compensations[0].attempts.size() == 2);

  const auto listed = fx.weft({"dlq", "list", "--json"});
  REQUIRE(listed.exit_code == 0);
  const auto letters = weft::parse_json(listed.out);
  REQUIRE(letters.has_value());
  REQUIRE(letters->as_array().size() == 1);
  CHECK(letters->as_array()[0].at("id").as_string() == id);
  CHECK(letters->as_array()[0].at("step").as_string() == "reserve");

  // Fixed: a retry runs the failed compensation again (with a fresh budget) and finishes the saga.
  fx.sql("UPDATE switch SET ok = true");
  const auto retried = fx.weft({"dlq", "retry", id});
  REQUIRE(retried.exit_code == 0);
  weft::test::eventually([&] { return fx.store().get_execution(id)->summary.status == "compensated"; });
  const auto after = fx.finished(id);
  CHECK(after.summary.status == "compensated");
  CHECK(after.compensations.at(0).attempts.size() == 3);
  CHECK(undo_order(fx.url()) == std::vector<std::string>{"compensate:reserve"});
  CHECK(fx.weft({"dlq", "list", "--json"}).out == "[]\n");
}

TEST_CASE("a dead-letter retry re-runs from the failed step, keeping completed ones", "[dlq][pg]") {
  HostFixture fx;
  fx.sql("CREATE TABLE runs (step text NOT NULL)");
  fx.sql("CREATE TABLE switch (ok boolean NOT NULL); INSERT INTO switch VALUES (false)");
  fx.workflow("w.yaml", R"(
id: twice
on_failure: fail
steps:
  - { id: first, lua: count.lua, transaction: true }
  - id: second
    lua: gated.lua
    transaction: true
    retry: { max_attempts: 2, initial_interval: 10ms }
)");
  fx.script("count.lua", R"lua(return function(ctx, input)
  ctx.db:exec("INSERT INTO runs (step) VALUES ($1)", ctx.step)
  return {}
end
)lua");
  fx.script("gated.lua", R"lua(return function(ctx, input)
  if not ctx.db:query_one("SELECT ok FROM switch").ok then error("not yet") end
  return { attempt = ctx.attempt }
end
)lua");
  auto host = fx.serve();
  const auto id = fx.start("twice");
  const auto failed = fx.finished(id);
  CHECK(failed.summary.status == "failed");  // on_failure: fail -> no compensation, dead letter
  CHECK(step_of(failed, "second").state.attempts == 2);

  fx.sql("UPDATE switch SET ok = true");
  REQUIRE(fx.weft({"dlq", "retry", id}).exit_code == 0);
  weft::test::eventually([&] { return fx.store().get_execution(id)->summary.status == "completed"; });
  const auto done = fx.finished(id);
  CHECK(done.summary.status == "completed");
  CHECK(done.output.at("attempt").as_int64() == 3);  // history kept, numbering continues
  CHECK(step_of(done, "second").attempts.size() == 3);
  pqxx::connection db(fx.url());
  pqxx::nontransaction txn(db);
  CHECK(txn.exec1("SELECT count(*) FROM runs WHERE step = 'first'")[0].as<int>() == 1);

  // Bad input changes nothing: not a dead letter, unknown id, unknown verb.
  const auto not_dead = fx.weft({"dlq", "retry", id});
  CHECK(not_dead.exit_code == 1);
  CHECK(not_dead.err.find("not in the dead-letter queue") != std::string::npos);
  CHECK(fx.weft({"dlq", "retry", "0b5b3c4e-1111-4222-8333-944455556666"}).exit_code == 1);
  CHECK(fx.weft({"dlq", "frob"}).exit_code == 2);
}

TEST_CASE("cancel interrupts the running step, compensates and ends cancelled", "[saga][cancel][pg]") {
  HostFixture fx;
  fx.sql("CREATE TABLE undo_log (seq serial PRIMARY KEY, step text NOT NULL)");
  fx.workflow("w.yaml", R"(
id: long
steps:
  - { id: booked, lua: do.lua, compensate: { lua: undo.lua, transaction: true } }
  - { id: spin, lua: spin.lua, timeout: 60s }
  - { id: never, lua: do.lua }
)");
  fx.script("do.lua", kDo);
  fx.script("undo.lua", kUndo);
  fx.script("spin.lua", "return function(ctx, input) while true do end end\n");
  auto host = fx.serve();
  const auto id = fx.start("long");
  REQUIRE(weft::test::eventually([&] {
    const auto detail = fx.store().get_execution(id);
    return detail && detail->steps.size() == 2 && detail->steps[1].state.status == "running";
  }));
  const auto cancelled = fx.weft({"cancel", id});
  REQUIRE(cancelled.exit_code == 0);
  const auto detail = fx.finished(id, std::chrono::seconds(10));
  CHECK(detail.summary.status == "cancelled");
  CHECK(detail.error.at("code").as_string() == "cancelled");
  CHECK(step_of(detail, "spin").state.status == "failed");
  CHECK(step_of(detail, "booked").state.status == "compensated");
  CHECK(detail.steps.size() == 2);
  CHECK(undo_order(fx.url()) == std::vector<std::string>{"compensate:booked"});

  const auto again = fx.weft({"cancel", id});
  CHECK(again.exit_code == 1);
  CHECK(again.err.find("already finished (cancelled)") != std::string::npos);
  const auto unknown = fx.weft({"cancel", "0b5b3c4e-1111-4222-8333-944455556666"});
  CHECK(unknown.exit_code == 1);
  CHECK(unknown.err.find("no execution") != std::string::npos);
}
