// Circuit breakers: open after failures, fail fast, let one probe through, close.
#include "../host/host_fixture.hpp"

#include <pqxx/pqxx>

#include <thread>

using weft::test::HostFixture;
using weft::test::step_of;

TEST_CASE("a circuit breaker opens, fails fast, probes and closes", "[breaker][pg]") {
  HostFixture fx;
  {
    pqxx::connection db(fx.url());
    pqxx::nontransaction txn(db);
    txn.exec("CREATE TABLE api (up boolean NOT NULL); INSERT INTO api VALUES (false)");
  }
  fx.workflow("w.yaml", R"(
id: calls
steps:
  - id: call
    lua: call.lua
    transaction: true
    retry: { max_attempts: 1 }
    circuit_breaker: { failure_rate: 50%, min_calls: 2, window: 30s, open_for: 1s }
)");
  fx.script("call.lua", R"lua(return function(ctx, input)
  if not ctx.db:query_one("SELECT up FROM api").up then error("the payment API is down") end
  return "ok"
end
)lua");
  auto host = fx.serve();
  const auto run = [&] {
    const auto started = fx.weft({"start", "calls", "--workflows", fx.workflows()});
    REQUIRE(started.exit_code == 0);
    return fx.finished(started.out.substr(0, 36));
  };
  const auto code_of = [](const weft::store::ExecutionDetail& detail) {
    return std::string(step_of(detail, "call").state.error.at("code").as_string());
  };
  CHECK(code_of(run()) == "error");
  CHECK(code_of(run()) == "error");  // 2 of 2 failed: the circuit opens
  const auto refused = run();
  CHECK(code_of(refused) == "circuit_open");
  const auto& attempt = step_of(refused, "call").attempts.at(0);
  CHECK(attempt.finished_at - attempt.started_at < 50);  // failed fast, the action never ran
  CHECK(step_of(refused, "call").state.error.at("details").at("state").as_string() == "open");

  {
    pqxx::connection db(fx.url());
    pqxx::nontransaction txn(db);
    txn.exec("UPDATE api SET up = true");
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  CHECK(run().summary.status == "completed");  // the probe
  CHECK(run().summary.status == "completed");  // closed again
  const auto log = host->log();
  CHECK(log.find("opened") != std::string::npos);
  CHECK(log.find("half-open") != std::string::npos);
  CHECK(log.find("closed") != std::string::npos);
}
