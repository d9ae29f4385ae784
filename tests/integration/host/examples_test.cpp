// The workflows shipped in workflows/ and the event in examples/ do what the README says.
#include "host_fixture.hpp"

#include <filesystem>
#include <thread>

#include <pqxx/pqxx>

#include <fstream>
#include <sstream>

using weft::test::HostFixture;
using weft::test::step_of;

namespace {

std::string read_file(const std::string& path) {
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

}  // namespace

TEST_CASE("the order-fulfilment example runs on real tables, exactly once", "[examples][pg]") {
  HostFixture fx;
  const std::string workflows = std::string(WEFT_SOURCE_DIR) + "/workflows";
  auto host = std::make_unique<weft::test::HostProcess>(
      std::vector<std::string>{"serve", "--workflows", workflows, "--db", fx.url()},
      fx.dir().path() / "examples-host.log");

  const auto setup = fx.weft({"start", "shop-setup", "--workflows", workflows});
  REQUIRE(setup.exit_code == 0);
  REQUIRE(fx.finished(setup.out.substr(0, 36)).summary.status == "completed");

  const auto event = read_file(std::string(WEFT_SOURCE_DIR) + "/examples/order-created.json");
  const auto emitted = fx.weft({"emit"}, event);
  REQUIRE(emitted.exit_code == 0);
  const auto executions = fx.executions_of_trace("4bf92f3577b34da6a3ce929d0e0e4736", 1);
  REQUIRE(executions.size() == 1);
  const auto detail = fx.finished(executions[0].id);
  REQUIRE(detail.summary.status == "completed");
  CHECK(detail.summary.key == std::optional<std::string>("o-1"));
  CHECK(step_of(detail, "reserve").state.output.at("left").as_int64() == 498);
  // reserve held the per-SKU lock, released with its commit.
  CHECK(step_of(detail, "reserve").attempts.at(0).info.at("lock").at("key").as_string() == "inventory:SKU-1");
  CHECK(detail.output.at("tracking").as_string() == "TRK-o-1-2");

  // The same event again: stored once, nothing runs twice.
  const auto again = fx.weft({"emit"}, event);
  CHECK(again.out.rfind("duplicate", 0) == 0);
  // A new event for the same order: the key holds, no second execution.
  auto other = event;
  other.replace(other.find("evt-42"), 6, "evt-43");
  CHECK(fx.weft({"emit"}, other).exit_code == 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(800));
  CHECK(fx.store().list_executions({"order-fulfilment", std::nullopt, 10}).size() == 1);

  pqxx::connection db(fx.url());
  pqxx::nontransaction query(db);
  CHECK(query.exec1("SELECT stock FROM inventory WHERE sku = 'SKU-1'")[0].as<int>() == 498);
  CHECK(query.exec1("SELECT count(*) FROM orders WHERE order_id = 'o-1'")[0].as<int>() == 1);

  // Not enough stock: a non-retryable failure, and the stock is untouched.
  const auto short_order = fx.weft({"emit", "--type", "crud", "--data",
                                    R"({"action":"create","module":"orders","order_id":"o-9","sku":"SKU-3","qty":1})"});
  const auto failed = fx.executions_of_trace(weft::test::trace_of_emit(short_order.out), 1);
  REQUIRE(failed.size() == 1);
  const auto failed_detail = fx.finished(failed[0].id);
  CHECK(failed_detail.summary.status == "failed");
  CHECK(step_of(failed_detail, "reserve").state.error.at("code").as_string() == "insufficient_stock");
  CHECK(step_of(failed_detail, "reserve").state.attempts == 1);
  CHECK(query.exec1("SELECT stock FROM inventory WHERE sku = 'SKU-3'")[0].as<int>() == 0);
}

TEST_CASE("a transactional step that fails after writing leaves nothing behind", "[transactions][pg]") {
  HostFixture fx;
  {
    pqxx::connection db(fx.url());
    pqxx::nontransaction setup(db);
    setup.exec("CREATE TABLE ledger (id text PRIMARY KEY, amount int NOT NULL)");
  }
  fx.workflow("w.yaml", R"(
id: ledger
steps:
  - id: write
    lua: write.lua
    transaction: true
    retry: { max_attempts: 2, initial_interval: 10ms }
  - id: duplicate
    lua: duplicate.lua
    transaction: { isolation: serializable }
)");
  fx.script("write.lua", R"lua(return function(ctx, input)
  ctx.db:exec("INSERT INTO ledger (id, amount) VALUES ($1, $2)", "attempt-" .. ctx.attempt, 10)
  if ctx.attempt == 1 then error("fails after writing") end
  return { rows = ctx.db:query_one("SELECT count(*) AS n FROM ledger").n }
end
)lua");
  fx.script("duplicate.lua", R"lua(return function(ctx, input)
  ctx.db:exec("INSERT INTO ledger (id, amount) VALUES ('attempt-2', 1)")
  return {}
end
)lua");
  auto host = fx.serve();
  const auto started = fx.weft({"start", "ledger", "--workflows", fx.workflows()});
  REQUIRE(started.exit_code == 0);
  const auto detail = fx.finished(started.out.substr(0, 36));
  CHECK(detail.summary.status == "failed");
  const auto& write = step_of(detail, "write");
  CHECK(write.state.status == "completed");
  CHECK(write.state.attempts == 2);
  CHECK(write.state.output.at("rows").as_int64() == 1);  // attempt 1's row was rolled back
  const auto& duplicate = step_of(detail, "duplicate");
  CHECK(duplicate.state.error.at("code").as_string() == "constraint_violation");
  CHECK(duplicate.state.error.at("retryable").as_bool() == false);
  CHECK(duplicate.state.attempts == 1);
  CHECK(duplicate.state.error.at("details").at("sqlstate").as_string() == "23505");

  pqxx::connection db(fx.url());
  pqxx::nontransaction query(db);
  const auto rows = query.exec("SELECT id, amount FROM ledger ORDER BY id");
  REQUIRE(rows.size() == 1);
  CHECK(rows[0][0].as<std::string>() == "attempt-2");
  CHECK(rows[0][1].as<int>() == 10);
}

TEST_CASE("hostile Lua steps fail with a clear error and harm nothing else", "[lua][pg]") {
  HostFixture fx;
  fx.workflow("w.yaml", R"(
id: hostile
steps:
  - { id: shell, lua: shell.lua, after: [] }
  - { id: hog, lua: hog.lua, after: [] }
  - { id: broken, lua: broken.lua, after: [] }
  - { id: io, lua: io.lua, after: [] }
defaults:
  retry: { max_attempts: 1 }
)");
  fx.script("shell.lua", "return function(ctx, input) return os.execute('touch /tmp/weft-pwned') end\n");
  fx.script("hog.lua", "return function(ctx, input) local t = {} for i = 1, 1e9 do t[i] = string.rep('x', 64) .. i end end\n");
  fx.script("broken.lua", "return function(ctx, input) local x = nil; return x.field end\n");
  fx.script("io.lua", "return function(ctx, input) return io.open('/etc/passwd'):read('*a') end\n");
  fx.workflow("ok.yaml", "id: ok\nsteps: [ { id: only, lua: ok.lua } ]\n");
  fx.script("ok.lua", "return function(ctx, input) return 'fine' end\n");
  auto host = fx.serve();
  const auto hostile = fx.weft({"start", "hostile", "--workflows", fx.workflows()});
  const auto detail = fx.finished(hostile.out.substr(0, 36));
  CHECK(detail.summary.status == "failed");
  CHECK_FALSE(std::filesystem::exists("/tmp/weft-pwned"));
  CHECK(step_of(detail, "hog").state.error.at("code").as_string() == "memory_limit");
  const auto message = [&](const std::string& id) {
    return std::string(step_of(detail, id).state.error.at("message").as_string());
  };
  CHECK(message("broken").find("broken.lua:1:") != std::string::npos);
  CHECK(message("shell").find("execute") != std::string::npos);
  CHECK(message("io").find("io") != std::string::npos);
  const auto ok = fx.weft({"start", "ok", "--workflows", fx.workflows()});
  CHECK(fx.finished(ok.out.substr(0, 36)).output == weft::Json("fine"));
  CHECK(host->running());
}
