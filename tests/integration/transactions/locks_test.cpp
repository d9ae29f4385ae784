// Named locks: shared by hosts, released at commit, lost at ttl, fenced by tokens.
#include "../host/host_fixture.hpp"

#include <pqxx/pqxx>

using weft::test::HostFixture;
using weft::test::step_of;

namespace {

// Read, think, write: the classic lost update under read_committed without a lock.
constexpr const char* kIncrement = R"lua(return function(ctx, input)
  local row = ctx.db:query_one("SELECT n FROM counter WHERE id = 1")
  ctx.db:query("SELECT pg_sleep(0.05)")
  ctx.db:exec("UPDATE counter SET n = $1 WHERE id = 1", row.n + 1)
  if ctx.lock then ctx.db:exec("INSERT INTO tokens (token) VALUES ($1)", ctx.lock.token) end
  return row.n + 1
end
)lua";

int count(HostFixture& fx, const std::string& sql) {
  pqxx::connection db(fx.url());
  pqxx::nontransaction txn(db);
  return txn.exec1(sql)[0].as<int>();
}

}  // namespace

TEST_CASE("without a lock concurrent read-then-write loses updates, with one the total is exact", "[locks][pg]") {
  HostFixture fx;
  fx.sql("CREATE TABLE counter (id int PRIMARY KEY, n int NOT NULL); INSERT INTO counter VALUES (1, 0);"
         "CREATE TABLE tokens (token bigint NOT NULL)");
  fx.workflow("racy.yaml", "id: racy\non: [ { type: count.racy } ]\nsteps:\n  - { id: add, lua: add.lua, transaction: true }\n");
  fx.workflow("locked.yaml", R"(
id: locked
on: [ { type: count.locked } ]
steps:
  - id: add
    lua: add.lua
    transaction: true
    lock: { key: "counter:${ input.id }", ttl: 30s, wait: 30s }
)");
  fx.script("add.lua", kIncrement);
  auto first = fx.serve({"--workers", "8"});
  auto second = fx.serve({"--workers", "8"});
  constexpr int kRuns = 40;
  // One emit of kRuns events: the executions are created together and claimed
  // together, so their read-then-write sections overlap.
  const auto burst = [&](const std::string& type) {
    std::string lines;
    for (int i = 0; i < kRuns; ++i) {
      lines += R"({"specversion":"1.0","id":")" + type + "-" + std::to_string(i) + R"(","source":"locks-test","type":")" +
               type + R"(","data":{"id":1}})" "\n";
    }
    REQUIRE(fx.weft({"emit"}, lines).exit_code == 0);
    std::vector<weft::store::ExecutionSummary> runs;
    REQUIRE(weft::test::eventually([&] {
      runs = fx.store().list_executions({type == "count.racy" ? "racy" : "locked", std::nullopt, 1000});
      return static_cast<int>(runs.size()) == kRuns;
    }));
    std::vector<std::string> ids;
    for (const auto& run : runs) ids.push_back(run.id);
    return ids;
  };
  for (const auto& id : burst("count.racy")) REQUIRE(fx.finished(id).summary.status == "completed");
  const int racy_total = count(fx, "SELECT n FROM counter");
  CHECK(racy_total < kRuns);  // the race is real: updates were lost

  fx.sql("UPDATE counter SET n = 0");
  const auto ids = burst("count.locked");
  for (const auto& id : ids) REQUIRE(fx.finished(id, std::chrono::seconds(60)).summary.status == "completed");
  CHECK(count(fx, "SELECT n FROM counter") == kRuns);  // exact with the lock
  // Every grant had its own token, and tokens grew in the order the work happened.
  CHECK(count(fx, "SELECT count(DISTINCT token) FROM tokens") == kRuns);
  CHECK(count(fx, "SELECT count(*) FROM (SELECT token < lag(token) OVER (ORDER BY ctid) AS down FROM tokens) t "
                  "WHERE down") == 0);
  CHECK(count(fx, "SELECT count(*) FROM weft.locks") == 0);  // all released at commit
  const auto detail = fx.store().get_execution(ids.back());
  CHECK(step_of(*detail, "add").attempts.back().info.at("lock").at("key").as_string() == "counter:1");
}

TEST_CASE("a lock held by a killed host is lost at its ttl, and waiting longer than wait is lock_timeout", "[locks][pg]") {
  HostFixture fx;
  fx.sql("CREATE TABLE tokens (who text, token bigint NOT NULL)");
  fx.workflow("hold.yaml", R"(
id: hold
steps:
  - id: hog
    lua: hog.lua
    timeout: 60s
    lock: { key: "printer", ttl: 2s, wait: 1s }
)");
  fx.workflow("use.yaml", R"(
id: use
steps:
  - id: print
    lua: print.lua
    transaction: true
    retry: { max_attempts: 10, initial_interval: 300ms, backoff: 1.0 }
    lock: { key: "printer", ttl: 30s, wait: 300ms }
)");
  fx.script("hog.lua", "return function(ctx, input) while true do end end\n");
  fx.script("print.lua", R"lua(return function(ctx, input)
  ctx.db:exec("INSERT INTO tokens (who, token) VALUES ('user', $1)", ctx.lock.token)
  return ctx.lock.token
end
)lua");
  auto doomed = fx.serve({"--lease", "60s"});  // its executions are not taken over soon
  const auto hog = fx.start("hold");
  REQUIRE(weft::test::eventually([&] { return count(fx, "SELECT count(*) FROM weft.locks") == 1; }));
  const int hog_token = count(fx, "SELECT token FROM weft.locks WHERE key = 'printer'");
  doomed->kill_hard();  // the holder dies holding the lock

  auto survivor = fx.serve();
  const auto user = fx.start("use");
  const auto detail = fx.finished(user, std::chrono::seconds(30));
  REQUIRE(detail.summary.status == "completed");
  const auto& print = step_of(detail, "print");
  CHECK(print.attempts.front().error.at("code").as_string() == "lock_timeout");  // waited while held
  CHECK(detail.output.as_int64() > hog_token);  // a newer grant has a larger token
  // The lock was lost at its ttl (2s after the grant), not at the holder's lease (60s).
  CHECK(print.attempts.back().finished_at - print.attempts.front().started_at < 10000);
  (void)hog;
}
