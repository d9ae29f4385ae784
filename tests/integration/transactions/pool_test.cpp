// The host's shared connection pool: bounded, waits with a
// timeout and a clear error, replaces broken connections, and its use shows in
// each transactional attempt.
#include "../host/host_fixture.hpp"

#include "store/connection_pool.hpp"

#include <pqxx/pqxx>

#include <atomic>
#include <thread>

using weft::test::HostFixture;
using weft::test::step_of;
using namespace std::chrono_literals;

TEST_CASE("a pool never opens more connections than its size and times out with a clear error", "[pool][pg]") {
  weft::test::TestDatabase database;
  weft::store::migrate(database.url());
  weft::store::ConnectionPool pool(database.url(), weft::store::PoolOptions{2, 150ms, {}});
  auto first = pool.acquire();
  auto second = pool.acquire();
  CHECK(pool.stats().in_use == 2);

  const auto started = std::chrono::steady_clock::now();
  try {
    auto third = pool.acquire();
    FAIL("a third connection was handed out by a pool of two");
  } catch (const weft::store::PoolTimeout& error) {
    const std::string message = error.what();
    CHECK(message.find("within 150ms") != std::string::npos);
    CHECK(message.find("--db-pool") != std::string::npos);
  }
  CHECK(std::chrono::steady_clock::now() - started >= 150ms);

  // A waiter gets the connection as soon as one comes back.
  std::thread returner([&] {
    std::this_thread::sleep_for(50ms);
    auto released = std::move(first);
  });
  auto third = pool.acquire();  // 150ms timeout; the returner gives one back after 50ms
  returner.join();
  CHECK(third.wait_ms() > 0);
  const auto stats = pool.stats();
  CHECK(stats.size == 2);
  CHECK(stats.peak_in_use == 2);
  CHECK(stats.timed_out == 1);
  CHECK(stats.waited == 2);
  CHECK(stats.acquired == 3);
}

TEST_CASE("a discarded connection is closed and replaced by a fresh one", "[pool][pg]") {
  weft::test::TestDatabase database;
  weft::store::migrate(database.url());
  weft::store::ConnectionPool pool(database.url(), weft::store::PoolOptions{1, 1000ms, {}});
  const auto sessions = [&] {
    pqxx::connection db(database.url());
    pqxx::nontransaction txn(db);
    return txn.exec1("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> "
                     "pg_backend_pid()")[0]
        .as<int>();
  };
  {
    auto borrowed = pool.acquire();
    borrowed.store().list_executions(weft::store::ListFilter{});
    CHECK(sessions() == 1);
    borrowed.discard();
  }
  CHECK(sessions() == 0);  // closed, not returned
  auto again = pool.acquire();
  CHECK(again.store().list_executions(weft::store::ListFilter{}).empty());
  CHECK(sessions() == 1);
}

TEST_CASE("many threads share a small pool without exceeding it", "[pool][pg]") {
  weft::test::TestDatabase database;
  weft::store::migrate(database.url());
  weft::store::ConnectionPool pool(database.url(), weft::store::PoolOptions{2, 10000ms, {}});
  std::atomic<int> holding{0};
  std::atomic<int> most{0};
  std::atomic<int> done{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10; ++i) {
        auto borrowed = pool.acquire();
        const int now = ++holding;
        int seen = most.load();
        while (now > seen && !most.compare_exchange_weak(seen, now)) {
        }
        borrowed.store().list_executions(weft::store::ListFilter{});
        --holding;
        ++done;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(done == 80);
  CHECK(most.load() <= 2);
  CHECK(pool.stats().peak_in_use <= 2);
  CHECK(pool.stats().acquired == 80);
  CHECK(pool.stats().in_use == 0);
}

TEST_CASE("workers share the pool: transactional steps complete with fewer connections than workers",
          "[pool][pg]") {
  HostFixture fx;
  fx.sql("CREATE TABLE counter (id int PRIMARY KEY, n int NOT NULL); INSERT INTO counter VALUES (1, 0)");
  fx.workflow("bump.yaml", R"(
id: bump
steps:
  - id: add
    lua: add.lua
    transaction: true
)");
  fx.script("add.lua", R"lua(return function(ctx, input)
  ctx.db:exec("UPDATE counter SET n = n + 1 WHERE id = 1")
  return { done = true }
end
)lua");
  std::vector<std::string> ids;
  for (int i = 0; i < 20; ++i) ids.push_back(fx.start("bump", "{\"i\":" + std::to_string(i) + "}"));
  auto host = fx.serve({"--db-pool", "1"});
  for (const auto& id : ids) {
    const auto detail = fx.finished(id);
    REQUIRE(detail.summary.status == "completed");
    const auto& info = step_of(detail, "add").attempts.back().info;
    REQUIRE(info.is_object());
    const auto& pool = info.at("transaction").at("pool");
    CHECK(pool.at("size").as_int64() == 1);
    CHECK(pool.at("in_use").as_int64() == 1);
  }
  pqxx::connection db(fx.url());
  pqxx::nontransaction txn(db);
  CHECK(txn.exec1("SELECT n FROM counter")[0].as<int>() == 20);
}

TEST_CASE("an attempt that finds every pooled connection busy fails with pool_timeout and retries",
          "[pool][pg]") {
  HostFixture fx;
  // Two branches start together; each holds the host's only connection for
  // 500ms, so whichever comes second cannot borrow it within 100ms.
  fx.workflow("pair.yaml", R"(
id: pair
defaults:
  retry: { max_attempts: 6, initial_interval: 300ms, backoff: 1.0, jitter: none }
steps:
  - { id: left, lua: hold.lua, transaction: true, after: [] }
  - { id: right, lua: hold.lua, transaction: true, after: [] }
)");
  fx.script("hold.lua", R"lua(return function(ctx, input)
  ctx.db:exec("SELECT pg_sleep(0.5)")
  return { held = true }
end
)lua");
  auto host = fx.serve({"--db-pool", "1", "--db-pool-timeout", "100ms"});
  const auto detail = fx.finished(fx.start("pair"));
  REQUIRE(detail.summary.status == "completed");
  int pool_timeouts = 0;
  for (const auto* id : {"left", "right"}) {
    const auto& attempts = step_of(detail, id).attempts;
    REQUIRE(!attempts.empty());
    CHECK(attempts.back().status == "completed");
    for (const auto& attempt : attempts) {
      if (attempt.status != "failed") continue;
      CHECK(attempt.error.at("code").as_string() == "pool_timeout");
      CHECK(attempt.error.at("retryable").as_bool());
      CHECK(std::string(attempt.error.at("message").as_string()).find("--db-pool") != std::string::npos);
      ++pool_timeouts;
    }
  }
  CHECK(pool_timeouts >= 1);
}
