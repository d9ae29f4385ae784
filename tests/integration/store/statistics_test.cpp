// Plans are cached with the table sizes of the moment; the store re-analyzes a
// busy table that grew well past what its statistics say (issue 6).
#include "store/store.hpp"
#include "support/test_database.hpp"

#include <pqxx/pqxx>

#include <catch2/catch.hpp>

#include <chrono>
#include <thread>

TEST_CASE("a busy table analyzed empty is analyzed again once it has grown", "[store][pg]") {
  weft::test::TestDatabase database;
  weft::store::migrate(database.url());
  pqxx::connection db(database.url());
  const auto reltuples = [&] {
    pqxx::nontransaction txn(db);
    return txn.exec1("SELECT reltuples FROM pg_class WHERE oid = 'weft.executions'::regclass")[0].as<double>();
  };
  {
    pqxx::nontransaction txn(db);
    txn.exec("ANALYZE weft.executions");
    txn.exec("INSERT INTO weft.definitions (workflow, content_hash, version, source_path, yaml, scripts) "
             "VALUES ('w', 'h', '1', 'w.yaml', 'id: w', '{}')");
  }
  CHECK(reltuples() == 0);
  weft::store::Store store(database.url());
  CHECK(store.refresh_statistics().empty());  // nothing grew yet
  {
    pqxx::work txn(db);
    txn.exec("INSERT INTO weft.executions (id, workflow, content_hash, version, status, trace_id, input) "
             "SELECT gen_random_uuid(), 'w', 'h', '1', 'pending', 't', '{}' FROM generate_series(1, 3000)");
    txn.exec("SELECT pg_stat_force_next_flush()");  // the live count is visible at once, not a second later
    txn.commit();
  }
  std::vector<std::string> analyzed;
  for (int i = 0; i < 50 && analyzed.empty(); ++i) {
    analyzed = store.refresh_statistics();
    if (analyzed.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  CHECK(analyzed == std::vector<std::string>{"executions"});
  CHECK(reltuples() == 3000);
  CHECK(store.refresh_statistics().empty());  // up to date now
}
