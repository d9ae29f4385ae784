// End to end: real `weft serve` processes on a real PostgreSQL database.
#include "host_fixture.hpp"

#include <set>
#include <thread>

using weft::test::HostFixture;
using weft::test::step_of;
using weft::test::trace_of_emit;

namespace {

constexpr const char* kReturnInput = "return function(ctx, input) return input end\n";

}  // namespace

TEST_CASE("an event runs a workflow to completion", "[host][pg]") {
  HostFixture fx;
  fx.workflow("orders/order.yaml", R"(
id: order
on:
  - type: crud
    where: { data.module: orders, data.qty: { gt: 0 } }
input: { order_id: "${ event.data.order_id }", qty: "${ event.data.qty }" }
key: ${ input.order_id }
steps:
  - id: price
    lua: price.lua
  - id: total
    lua: total.lua
    input: { qty: "${ input.qty }", price: "${ steps.price.output.price }" }
)");
  fx.script("orders/price.lua", "return function(ctx, input) return { price = 7, order = input.order_id } end\n");
  fx.script("orders/total.lua", "return function(ctx, input) return { total = input.qty * input.price } end\n");
  auto host = fx.serve();

  const auto emitted = fx.weft({"emit", "--type", "crud", "--data",
                                R"({"module":"orders","order_id":"o-1","qty":3})"});
  REQUIRE(emitted.exit_code == 0);
  const auto executions = fx.executions_of_trace(trace_of_emit(emitted.out), 1);
  REQUIRE(executions.size() == 1);
  const auto detail = fx.finished(executions[0].id);
  CHECK(detail.summary.status == "completed");
  CHECK(detail.summary.key == std::optional<std::string>("o-1"));
  CHECK(detail.input.at("qty").as_int64() == 3);
  CHECK(detail.output.at("total").as_int64() == 21);
  CHECK(step_of(detail, "price").state.output.at("order").as_string() == "o-1");
  CHECK(step_of(detail, "total").state.attempts == 1);

  // An event the filter rejects starts nothing.
  const auto ignored = fx.weft({"emit", "--type", "crud", "--data", R"({"module":"orders","order_id":"o-2","qty":0})"});
  REQUIRE(ignored.exit_code == 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  CHECK(fx.store().executions_of_trace(trace_of_emit(ignored.out)).empty());
}

TEST_CASE("one event starts every workflow it matches", "[host][pg]") {
  HostFixture fx;
  for (const auto* id : {"audit", "notify", "bill"}) {
    fx.workflow(std::string(id) + ".yaml", std::string("id: ") + id + R"(
on: [ { type: "orders.*" } ]
steps: [ { id: only, lua: step.lua } ]
)");
  }
  fx.workflow("other.yaml", "id: other\non: [ { type: invoices.created } ]\nsteps: [ { id: only, lua: step.lua } ]\n");
  fx.script("step.lua", kReturnInput);
  auto host = fx.serve();
  const auto emitted = fx.weft({"emit", "--type", "orders.created", "--data", R"({"n":1})"});
  REQUIRE(emitted.exit_code == 0);
  const auto trace = trace_of_emit(emitted.out);
  const auto executions = fx.executions_of_trace(trace, 3);
  std::set<std::string> workflows;
  for (const auto& execution : executions) {
    workflows.insert(execution.workflow);
    CHECK(fx.finished(execution.id).summary.status == "completed");
  }
  CHECK(workflows == std::set<std::string>{"audit", "bill", "notify"});
}

TEST_CASE("a duplicate event is stored and routed once", "[host][pg]") {
  HostFixture fx;
  fx.workflow("w.yaml", "id: w\non: [ { type: ping } ]\nsteps: [ { id: only, lua: step.lua } ]\n");
  fx.script("step.lua", kReturnInput);
  auto host = fx.serve();
  const auto first = fx.weft({"emit", "--type", "ping", "--id", "evt-1", "--source", "test", "--data", "{}"});
  const auto second = fx.weft({"emit", "--type", "ping", "--id", "evt-1", "--source", "test", "--data", "{}"});
  REQUIRE(first.exit_code == 0);
  REQUIRE(second.exit_code == 0);
  CHECK(first.out.rfind("accepted", 0) == 0);
  CHECK(second.out.rfind("duplicate", 0) == 0);
  const auto executions = fx.executions_of_trace(trace_of_emit(first.out), 1);
  REQUIRE(executions.size() == 1);
  fx.finished(executions[0].id);
  CHECK(fx.store().list_executions({"w", std::nullopt, 100}).size() == 1);
}

TEST_CASE("the same key gives one execution", "[host][pg]") {
  HostFixture fx;
  fx.workflow("w.yaml", "id: keyed\nkey: ${ input.order }\nsteps: [ { id: only, lua: step.lua } ]\n");
  fx.script("step.lua", kReturnInput);
  const auto first = fx.weft({"start", "keyed", "--workflows", fx.workflows(), "--input", R"({"order":"A"})"});
  const auto again = fx.weft({"start", "keyed", "--workflows", fx.workflows(), "--input", R"({"order":"A"})"});
  const auto other = fx.weft({"start", "keyed", "--workflows", fx.workflows(), "--input", R"({"order":"B"})"});
  const auto explicit_key = fx.weft({"start", "keyed", "--workflows", fx.workflows(), "--key", "A", "--input", "{}"});
  REQUIRE(first.exit_code == 0);
  REQUIRE(again.exit_code == 0);
  CHECK(first.out == again.out);
  CHECK(first.out == explicit_key.out);
  CHECK(first.out != other.out);
  CHECK(again.err.find("already exists") != std::string::npos);
  CHECK(fx.store().list_executions({"keyed", std::nullopt, 100}).size() == 2);
}

TEST_CASE("a failing step is retried and every attempt is recorded", "[host][pg]") {
  HostFixture fx;
  fx.workflow("flaky.yaml", R"(
id: flaky
defaults:
  retry: { max_attempts: 4, initial_interval: 50ms, backoff: 2.0, jitter: none }
steps:
  - id: flaky
    lua: flaky.lua
)");
  fx.workflow("never.yaml", R"(
id: never
steps:
  - id: never_ok
    lua: fail.lua
    retry: { max_attempts: 2, initial_interval: 10ms }
)");
  fx.workflow("fatal.yaml", R"(
id: fatal
steps:
  - id: fatal
    lua: fatal.lua
  - id: not_reached
    lua: flaky.lua
)");
  fx.script("flaky.lua", R"(return function(ctx, input)
  if ctx.attempt < 3 then error("not yet, attempt " .. ctx.attempt) end
  return { attempt = ctx.attempt }
end
)");
  fx.script("fail.lua", "return function(ctx, input) error({ code = 'busy', message = 'try later' }) end\n");
  fx.script("fatal.lua", "return function(ctx, input) weft.fail('bad_input', 'cannot work with this') end\n");
  auto host = fx.serve();
  const auto start = [&](const std::string& workflow) {
    const auto started = fx.weft({"start", workflow, "--workflows", fx.workflows()});
    REQUIRE(started.exit_code == 0);
    return fx.finished(started.out.substr(0, 36));
  };

  const auto flaky_run = start("flaky");
  CHECK(flaky_run.summary.status == "completed");
  const auto& flaky = step_of(flaky_run, "flaky");
  CHECK(flaky.state.status == "completed");
  CHECK(flaky.state.attempts == 3);
  REQUIRE(flaky.attempts.size() == 3);
  CHECK(flaky.attempts[0].status == "failed");
  CHECK(flaky.attempts[0].error.at("code").as_string() == "error");
  CHECK(std::string(flaky.attempts[0].error.at("message").as_string()).find("not yet, attempt 1") != std::string::npos);
  CHECK(flaky.attempts[2].status == "completed");
  CHECK(flaky_run.output.at("attempt").as_int64() == 3);
  // jitter none: the second attempt waits the full 50ms, the third 100ms.
  CHECK(flaky.attempts[1].started_at - flaky.attempts[0].finished_at >= 45);
  CHECK(flaky.attempts[2].started_at - flaky.attempts[1].finished_at >= 95);

  const auto never_run = start("never");
  CHECK(never_run.summary.status == "failed");
  const auto& never = step_of(never_run, "never_ok");
  CHECK(never.state.status == "failed");
  CHECK(never.state.attempts == 2);
  CHECK(never.attempts.size() == 2);
  CHECK(never.state.error.at("code").as_string() == "busy");
  CHECK(never_run.error.at("step").as_string() == "never_ok");

  const auto fatal_run = start("fatal");
  CHECK(fatal_run.summary.status == "failed");
  const auto& fatal = step_of(fatal_run, "fatal");
  CHECK(fatal.state.attempts == 1);  // weft.fail is not retryable
  CHECK(fatal.state.error.at("code").as_string() == "bad_input");
  CHECK(fatal_run.steps.size() == 1);  // the next step never started
}

TEST_CASE("an endless Lua loop is interrupted by the step timeout", "[host][pg]") {
  HostFixture fx;
  fx.workflow("w.yaml", R"(
id: spin
steps:
  - id: spin
    lua: spin.lua
    timeout: 300ms
    retry: { max_attempts: 1 }
)");
  fx.script("spin.lua", "return function(ctx, input) while true do end end\n");
  fx.workflow("ok.yaml", "id: ok\nsteps: [ { id: only, lua: ok.lua } ]\n");
  fx.script("ok.lua", kReturnInput);
  auto host = fx.serve();
  const auto spin = fx.weft({"start", "spin", "--workflows", fx.workflows()});
  const auto ok = fx.weft({"start", "ok", "--workflows", fx.workflows()});
  const auto detail = fx.finished(spin.out.substr(0, 36));
  CHECK(detail.summary.status == "failed");
  const auto& step = step_of(detail, "spin");
  CHECK(step.state.error.at("code").as_string() == "timeout");
  REQUIRE(step.attempts.size() == 1);
  const auto took = step.attempts[0].finished_at - step.attempts[0].started_at;
  CHECK(took >= 250);
  CHECK(took < 3000);
  // The host is unharmed: other executions complete.
  CHECK(fx.finished(ok.out.substr(0, 36)).summary.status == "completed");
  CHECK(host->running());
}

TEST_CASE("DAG steps fan out and fan in", "[host][pg]") {
  HostFixture fx;
  fx.workflow("w.yaml", R"(
id: dag
steps:
  - id: a
    lua: step.lua
  - id: b
    lua: slow.lua
    after: [a]
  - id: c
    lua: slow.lua
    after: [a]
  - id: skipped
    if: ${ input.skip == true }
    lua: step.lua
    after: [a]
  - id: d
    lua: join.lua
    after: [b, c, skipped]
    input: { b: "${ steps.b.status }", c: "${ steps.c.status }", s: "${ steps.skipped.status }" }
)");
  fx.script("step.lua", kReturnInput);
  fx.script("slow.lua", R"(return function(ctx, input)
  local until_ms = weft.now() + 300
  while weft.now() < until_ms do end
  return { step = ctx.step }
end
)");
  fx.script("join.lua", "return function(ctx, input) return input end\n");
  auto host = fx.serve();
  const auto started = fx.weft({"start", "dag", "--workflows", fx.workflows(), "--input", R"({"skip":false})"});
  const auto detail = fx.finished(started.out.substr(0, 36));
  REQUIRE(detail.summary.status == "completed");
  const auto& a = step_of(detail, "a").attempts.at(0);
  const auto& b = step_of(detail, "b").attempts.at(0);
  const auto& c = step_of(detail, "c").attempts.at(0);
  const auto& d = step_of(detail, "d").attempts.at(0);
  CHECK(b.started_at >= a.finished_at);
  CHECK(c.started_at >= a.finished_at);
  // b and c ran at the same time (fan-out), d after both (fan-in).
  CHECK(b.started_at < c.finished_at);
  CHECK(c.started_at < b.finished_at);
  CHECK(d.started_at >= b.finished_at);
  CHECK(d.started_at >= c.finished_at);
  CHECK(step_of(detail, "skipped").state.status == "skipped");
  CHECK(detail.output.at("s").as_string() == "skipped");
  CHECK(detail.output.at("b").as_string() == "completed");
}

TEST_CASE("parallel branches of many executions: each effect once, and the join after every branch", "[host][pg]") {
  // Plain checkpoints are written in the background while workers go on, so a
  // transactional branch often finishes while a sibling's checkpoint is still
  // on its way: it must commit after it, and nothing may be lost or doubled.
  HostFixture fx;
  fx.sql("CREATE TABLE effects (execution_id text PRIMARY KEY)");
  fx.workflow("w.yaml", R"(
id: branches
on:
  - type: branches.go
steps:
  - { id: root, lua: step.lua }
  - { id: quick, lua: step.lua, after: [root] }
  - { id: write, lua: write.lua, after: [root], transaction: true }
  - { id: other, lua: step.lua, after: [root] }
  - { id: join, lua: step.lua, after: [quick, write, other] }
)");
  fx.script("step.lua", kReturnInput);
  fx.script("write.lua", R"lua(return function(ctx, input)
  ctx.db:exec("INSERT INTO effects VALUES ($1)", ctx.execution_id)
  return { wrote = true }
end
)lua");
  auto host = fx.serve();
  constexpr int kExecutions = 150;
  std::vector<weft::store::EventRecord> events;
  for (int i = 0; i < kExecutions; ++i) {
    const auto id = "go-" + std::to_string(i);
    char trace[33];
    std::snprintf(trace, sizeof trace, "%032d", i + 1);
    events.push_back({"test", id, "branches.go", trace,
                      weft::JsonObject{{"specversion", "1.0"}, {"id", id}, {"source", "test"}, {"type", "branches.go"},
                                       {"data", weft::JsonObject{{"n", i}}}}});
  }
  fx.store().insert_events(events);
  std::vector<std::string> ids;
  for (const auto& event : events) {
    const auto found = fx.executions_of_trace(event.trace_id, 1);
    ids.push_back(found.at(0).id);
  }
  for (const auto& id : ids) {
    const auto detail = fx.finished(id);
    REQUIRE(detail.summary.status == "completed");
    const auto& join = step_of(detail, "join").attempts.at(0);
    for (const auto* branch : {"quick", "write", "other"}) {
      INFO(branch);
      const auto& step = step_of(detail, branch);
      CHECK(step.state.status == "completed");
      CHECK(step.attempts.size() == 1);
      CHECK(join.started_at >= step.attempts.at(0).finished_at);
    }
  }
  pqxx::connection db(fx.url());
  pqxx::nontransaction txn(db);
  CHECK(txn.exec1("SELECT count(*) FROM effects")[0].as<int>() == kExecutions);
}

TEST_CASE("a killed host's executions are resumed by another host", "[host][pg][crash]") {
  HostFixture fx;
  fx.workflow("w.yaml", R"(
id: long
steps:
  - id: first
    lua: step.lua
  - id: slow
    lua: slow.lua
    timeout: 10s
  - id: last
    lua: step.lua
)");
  fx.script("step.lua", kReturnInput);
  fx.script("slow.lua", R"(return function(ctx, input)
  -- Long enough to still run after the six `weft start` processes below, also on a busy machine.
  local until_ms = weft.now() + 4000
  while weft.now() < until_ms do end
  return { attempt = ctx.attempt }
end
)");
  auto doomed = fx.serve({"--lease", "2s"});
  std::vector<std::string> ids;
  for (int i = 0; i < 6; ++i) {
    const auto started = fx.weft({"start", "long", "--workflows", fx.workflows()});
    REQUIRE(started.exit_code == 0);
    ids.push_back(started.out.substr(0, 36));
  }
  // Kill while `slow` attempts are in flight.
  REQUIRE(weft::test::eventually([&] {
    const auto detail = fx.store().get_execution(ids[0]);
    for (const auto& step : detail->steps) {
      if (step.state.step_id == "slow" && step.state.status == "running") return true;
    }
    return false;
  }));
  doomed->kill_hard();
  const auto killed_at = std::chrono::steady_clock::now();
  auto survivor = fx.serve({"--lease", "2s"});
  for (const auto& id : ids) {
    const auto detail = fx.finished(id, std::chrono::seconds(60));
    CHECK(detail.summary.status == "completed");
    CHECK(step_of(detail, "last").state.status == "completed");
  }
  const auto resumed_after = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - killed_at);
  CHECK(resumed_after < std::chrono::seconds(30));
  // The attempt that was cut short is on record as lost, and was retried.
  const auto detail = fx.store().get_execution(ids[0]);
  const auto& slow = step_of(*detail, "slow");
  CHECK(slow.state.attempts >= 2);
  CHECK(slow.attempts.front().error.at("code").as_string() == "host_lost");
}

TEST_CASE("the whole-execution timeout interrupts a running step and ends timed_out", "[host][pg]") {
  HostFixture fx;
  fx.workflow("w.yaml", R"(
id: slowpoke
timeout: 700ms
steps:
  - id: first
    lua: quick.lua
  - id: busy
    lua: busy.lua
    timeout: 20s
  - id: never
    lua: quick.lua
)");
  fx.script("quick.lua", "return function(ctx, input) return 1 end\n");
  fx.script("busy.lua", "return function(ctx, input) while true do end end\n");
  auto host = fx.serve();
  const auto started = fx.weft({"start", "slowpoke", "--workflows", fx.workflows()});
  REQUIRE(started.exit_code == 0);
  const auto detail = fx.finished(started.out.substr(0, 36), std::chrono::seconds(15));
  CHECK(detail.summary.status == "timed_out");
  CHECK(detail.error.at("code").as_string() == "timeout");
  CHECK(step_of(detail, "first").state.status == "completed");
  CHECK(step_of(detail, "busy").state.status == "failed");
  CHECK(detail.steps.size() == 2);  // `never` never started
  REQUIRE(detail.started_at.has_value());
  CHECK(*detail.summary.finished_at - *detail.started_at < 5000);
}

TEST_CASE("SIGTERM drains: the running step finishes, the rest moves to another host", "[host][pg]") {
  HostFixture fx;
  fx.workflow("w.yaml", R"(
id: drain
steps:
  - id: slow
    lua: slow.lua
  - id: next
    lua: step.lua
)");
  fx.script("step.lua", kReturnInput);
  fx.script("slow.lua", R"(return function(ctx, input)
  local until_ms = weft.now() + 1200
  while weft.now() < until_ms do end
  return { host_attempt = ctx.attempt }
end
)");
  auto first = fx.serve();
  const auto started = fx.weft({"start", "drain", "--workflows", fx.workflows()});
  const auto id = started.out.substr(0, 36);
  REQUIRE(weft::test::eventually([&] {
    const auto detail = fx.store().get_execution(id);
    return detail && !detail->steps.empty() && detail->steps[0].state.status == "running";
  }));
  CHECK(first->stop() == 0);  // SIGTERM: waits for `slow`, releases the execution, exits 0
  const auto after_stop = fx.store().get_execution(id);
  REQUIRE(after_stop.has_value());
  CHECK(step_of(*after_stop, "slow").state.status == "completed");  // finished, not cut short
  CHECK(step_of(*after_stop, "slow").state.attempts == 1);
  CHECK(first->log().find("draining") != std::string::npos);

  auto second = fx.serve();
  const auto detail = fx.finished(id);
  CHECK(detail.summary.status == "completed");
  CHECK(step_of(detail, "slow").state.attempts == 1);  // nothing ran twice
}
