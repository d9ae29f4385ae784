// Host-owned transactions: savepoints, the outbox, SQLSTATE classes.
#include "../host/host_fixture.hpp"

#include <pqxx/pqxx>

#include <thread>

using weft::test::HostFixture;
using weft::test::step_of;

TEST_CASE("a savepoint undoes only its function's work and hands the error back", "[transactions][pg]") {
  HostFixture fx;
  fx.sql("CREATE TABLE items (id text PRIMARY KEY)");
  fx.workflow("w.yaml", R"(
id: partial
steps:
  - id: load
    lua: load.lua
    transaction: true
)");
  fx.script("load.lua", R"lua(return function(ctx, input)
  ctx.db:exec("INSERT INTO items VALUES ('outer')")
  local ok, err = ctx.db:savepoint(function()
    ctx.db:exec("INSERT INTO items VALUES ('inner')")
    ctx.db:exec("INSERT INTO items VALUES ('outer')")  -- duplicate: fails
  end)
  local fine, value = ctx.db:savepoint(function() return ctx.db:exec("INSERT INTO items VALUES ('after')") end)
  return { ok = ok, code = err.code, constraint = err.details.constraint, fine = fine, value = value }
end
)lua");
  auto host = fx.serve();
  const auto detail = fx.finished(fx.start("partial"));
  REQUIRE(detail.summary.status == "completed");
  CHECK(detail.output.at("ok").as_bool() == false);
  CHECK(detail.output.at("code").as_string() == "constraint_violation");
  CHECK(detail.output.at("constraint").as_string() == "items_pkey");
  CHECK(detail.output.at("fine").as_bool() == true);
  CHECK(detail.output.at("value").as_int64() == 1);
  pqxx::connection db(fx.url());
  pqxx::nontransaction txn(db);
  const auto rows = txn.exec("SELECT id FROM items ORDER BY id");
  REQUIRE(rows.size() == 2);  // 'inner' was rolled back with its savepoint
  CHECK(rows[0][0].as<std::string>() == "after");
  CHECK(rows[1][0].as<std::string>() == "outer");
}

TEST_CASE("an emitted event exists only if its step committed, and starts what it matches", "[transactions][outbox][pg]") {
  HostFixture fx;
  fx.workflow("ship.yaml", R"(
id: ship
steps:
  - id: pack
    lua: pack.lua
    retry: { max_attempts: 3, initial_interval: 10ms }
)");
  fx.script("pack.lua", R"lua(return function(ctx, input)
  ctx.emit("order.packed", { attempt = ctx.attempt })
  if ctx.attempt == 1 then error("the label printer jammed") end
  return { packed = true }
end
)lua");
  fx.workflow("notify.yaml", R"(
id: notify
on: [ { type: order.packed } ]
steps:
  - id: tell
    lua: tell.lua
)");
  fx.script("tell.lua", "return function(ctx, input) return { attempt_seen = input.attempt } end\n");
  auto host = fx.serve();
  const auto id = fx.start("ship");
  const auto detail = fx.finished(id);
  REQUIRE(detail.summary.status == "completed");
  const auto followers = fx.executions_of_trace(detail.summary.trace_id, 2);
  REQUIRE(followers.size() == 2);  // ship itself and the notify it caused, on one trace
  std::string notify_id;
  for (const auto& execution : followers) {
    if (execution.workflow == "notify") notify_id = execution.id;
  }
  REQUIRE(!notify_id.empty());
  const auto notified = fx.finished(notify_id);
  CHECK(notified.output.at("attempt_seen").as_int64() == 2);  // only the committed attempt's event
  pqxx::connection db(fx.url());
  pqxx::nontransaction txn(db);
  CHECK(txn.exec1("SELECT count(*) FROM weft.events WHERE type = 'order.packed'")[0].as<int>() == 1);
  CHECK(txn.exec1("SELECT id FROM weft.events WHERE type = 'order.packed'")[0].as<std::string>() ==
        id + "/pack/2/1");
}

TEST_CASE("each SQLSTATE class is classified with its code and retryability", "[transactions][pg]") {
  HostFixture fx;
  fx.sql("CREATE TABLE t (id int PRIMARY KEY, name text NOT NULL); CREATE TABLE secret (x int);"
         "DO $$ BEGIN CREATE ROLE weft_test_reader NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$;");
  struct Case {
    const char* name;
    const char* sql;
    const char* code;
    bool retryable;
  };
  const Case cases[] = {
      {"unique", "INSERT INTO t VALUES (1, 'a'), (1, 'b')", "constraint_violation", false},
      {"not_null", "INSERT INTO t VALUES (2, NULL)", "constraint_violation", false},
      {"syntax", "SELEC 1", "query", false},
      {"missing_table", "SELECT * FROM nowhere", "query", false},
      {"permission", "SET LOCAL ROLE weft_test_reader; SELECT pg_read_file('PG_VERSION')", "permission", false},
      {"timeout", "SELECT pg_sleep(5)", "timeout", true},
      {"data", "SELECT 1 / 0", "unknown", false},
  };
  std::string steps;
  for (const auto& c : cases) {
    // One exec per statement: bound statements take one command each.
    std::string body;
    std::string sql = c.sql;
    for (std::size_t at; (at = sql.find("; ")) != std::string::npos; sql.erase(0, at + 2))
      body += "ctx.db:exec([[" + sql.substr(0, at) + "]]) ";
    body += "ctx.db:exec([[" + sql + "]]) ";
    fx.script(std::string(c.name) + ".lua", "return function(ctx, input) " + body + "return 'unreachable' end\n");
    steps += std::string("  - { id: ") + c.name + ", lua: " + c.name +
             ".lua, after: [], transaction: { timeout: 300ms }, retry: { max_attempts: 1 } }\n";
  }
  fx.workflow("w.yaml", "id: classes\non_failure: fail\nsteps:\n" + steps);
  auto host = fx.serve();
  const auto detail = fx.finished(fx.start("classes"));
  for (const auto& c : cases) {
    INFO(c.name);
    const auto& error = step_of(detail, c.name).state.error;
    INFO(weft::to_json_text(error));
    CHECK(error.at("code").as_string() == c.code);
    CHECK(error.at("retryable").as_bool() == c.retryable);
    CHECK(error.at("details").at("sqlstate").as_string().size() == 5);
  }
  CHECK(step_of(detail, "not_null").state.error.at("details").at("column").as_string() == "name");
  CHECK(step_of(detail, "unique").state.error.at("details").at("constraint").as_string() == "t_pkey");
  CHECK(step_of(detail, "timeout").state.error.at("details").at("sqlstate").as_string() == "57014");
}

TEST_CASE("a step that kills its own connection fails as connection and the host carries on", "[transactions][pg]") {
  HostFixture fx;
  fx.workflow("w.yaml", R"(
id: suicide
steps:
  - id: cut
    lua: cut.lua
    transaction: true
    retry: { max_attempts: 2, initial_interval: 10ms }
)");
  fx.script("cut.lua", R"lua(return function(ctx, input)
  if ctx.attempt == 1 then ctx.db:query("SELECT pg_terminate_backend(pg_backend_pid())") end
  return { attempt = ctx.attempt }
end
)lua");
  auto host = fx.serve({"--workers", "1"});
  const auto detail = fx.finished(fx.start("suicide"));
  CHECK(detail.summary.status == "completed");
  CHECK(detail.output.at("attempt").as_int64() >= 2);
  const auto& first = step_of(detail, "cut").attempts.at(0);
  CHECK(first.status == "failed");
  CHECK((first.error.at("code").as_string() == "connection" || first.error.at("code").as_string() == "host_lost"));
  CHECK(host->running());
}

TEST_CASE("a provoked deadlock is retried and both executions complete", "[transactions][pg]") {
  HostFixture fx;
  fx.sql("CREATE TABLE accounts (id int PRIMARY KEY, balance int NOT NULL);"
         "INSERT INTO accounts VALUES (1, 100), (2, 100)");
  fx.workflow("w.yaml", R"(
id: transfer
steps:
  - id: move
    lua: move.lua
    transaction: true
    retry: { max_attempts: 5, initial_interval: 50ms }
)");
  // Opposite lock order with a pause in between: the two transactions deadlock.
  fx.script("move.lua", R"lua(return function(ctx, input)
  ctx.db:exec("UPDATE accounts SET balance = balance - 10 WHERE id = $1", input.from)
  ctx.db:query("SELECT pg_sleep(1.0)")  -- long enough for the other attempt to start, even on a loaded machine
  ctx.db:exec("UPDATE accounts SET balance = balance + 10 WHERE id = $1", input.to)
  return { attempt = ctx.attempt }
end
)lua");
  // Both exist before the host starts, so one claim takes both and their attempts overlap.
  const auto a = fx.start("transfer", R"({"from":1,"to":2})");
  const auto b = fx.start("transfer", R"({"from":2,"to":1})");
  auto host = fx.serve();
  const auto first = fx.finished(a);
  const auto second = fx.finished(b);
  CHECK(first.summary.status == "completed");
  CHECK(second.summary.status == "completed");
  int deadlocks = 0;
  for (const auto* detail : {&first, &second}) {
    for (const auto& attempt : step_of(*detail, "move").attempts) {
      if (attempt.status == "failed" && attempt.error.at("code").as_string() == "deadlock") ++deadlocks;
    }
  }
  CHECK(deadlocks >= 1);  // the deadlock happened, and the retry shows in the history
  pqxx::connection db(fx.url());
  pqxx::nontransaction txn(db);
  CHECK(txn.exec1("SELECT sum(balance) FROM accounts")[0].as<int>() == 200);
  CHECK(txn.exec1("SELECT balance FROM accounts WHERE id = 1")[0].as<int>() == 100);
}

TEST_CASE("a serialization failure under serializable is retried", "[transactions][pg]") {
  HostFixture fx;
  fx.sql("CREATE TABLE on_call (doctor text PRIMARY KEY, on_duty boolean NOT NULL);"
         "INSERT INTO on_call VALUES ('alice', true), ('bob', true)");
  fx.workflow("w.yaml", R"(
id: leave
steps:
  - id: go_off
    lua: off.lua
    transaction: { isolation: serializable }
    retry: { max_attempts: 4, initial_interval: 20ms, non_retryable: [last_on_duty] }
)");
  // Write skew: each sees two on duty, each takes itself off; serializable refuses one.
  fx.script("off.lua", R"lua(return function(ctx, input)
  local on = ctx.db:query_one("SELECT count(*) AS n FROM on_call WHERE on_duty").n
  ctx.db:query("SELECT pg_sleep(1.0)")  -- long enough for the other attempt to start, even on a loaded machine
  if on < 2 then weft.fail("last_on_duty", input.doctor .. " is the last one on duty") end
  ctx.db:exec("UPDATE on_call SET on_duty = false WHERE doctor = $1", input.doctor)
  return { went_off = input.doctor }
end
)lua");
  // Both exist before the host starts, so one claim takes both and their attempts overlap.
  const auto x = fx.start("leave", R"({"doctor":"alice"})");
  const auto y = fx.start("leave", R"({"doctor":"bob"})");
  auto host = fx.serve();
  const auto dx = fx.finished(x);
  const auto dy = fx.finished(y);
  int serialization_failures = 0, completed = 0, refused = 0;
  for (const auto* detail : {&dx, &dy}) {
    completed += detail->summary.status == "completed" ? 1 : 0;
    refused += detail->error.is_object() && detail->error.at("code").as_string() == "last_on_duty" ? 1 : 0;
    for (const auto& attempt : step_of(*detail, "go_off").attempts) {
      if (attempt.status == "failed" && attempt.error.at("code").as_string() == "serialization_failure")
        ++serialization_failures;
    }
  }
  INFO("host log:\n" << host->log());
  CHECK(serialization_failures >= 1);
  CHECK(completed == 1);  // exactly one doctor went off duty
  CHECK(refused == 1);    // the retry saw the other's commit
  pqxx::connection db(fx.url());
  pqxx::nontransaction txn(db);
  CHECK(txn.exec1("SELECT count(*) FROM on_call WHERE on_duty")[0].as<int>() == 1);
}

TEST_CASE("an attempt records its transaction's queries, and slow ones are logged with the trace", "[transactions][pg]") {
  HostFixture fx;
  fx.workflow("w.yaml", R"(
id: slowpoke
steps:
  - id: work
    lua: work.lua
    transaction: true
)");
  fx.script("work.lua", R"lua(return function(ctx, input)
  ctx.db:query("SELECT 1")
  ctx.db:query("SELECT pg_sleep(0.15)")
  return "done"
end
)lua");
  auto host = fx.serve({"--slow-query", "100ms"});
  const auto detail = fx.finished(fx.start("slowpoke"));
  REQUIRE(detail.summary.status == "completed");
  const auto& info = step_of(detail, "work").attempts.at(0).info.at("transaction");
  CHECK(info.at("queries").as_int64() == 2);
  CHECK(info.at("query_ms").as_int64() >= 150);
  CHECK(info.at("outcome").as_string() == "commit");
  REQUIRE(info.at("slow").as_array().size() == 1);
  CHECK(info.at("slow").as_array()[0].at("sql").as_string() == "SELECT pg_sleep(0.15)");
  const auto log = host->log();
  const auto line = log.find("slow query");
  REQUIRE(line != std::string::npos);
  CHECK(log.find("trace=" + detail.summary.trace_id, line) != std::string::npos);
  // The timeline shows it too.
  const auto trace = fx.weft({"trace", detail.summary.trace_id, "--json"});
  CHECK(trace.out.find("\"queries\":2") != std::string::npos);
}
