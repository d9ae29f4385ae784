// TestDatabase against the shared test cluster: a fresh database per test,
// dropped afterwards even with a session still connected.
#include "support/test_database.hpp"

#include <catch2/catch.hpp>
#include <pqxx/pqxx>

#include <memory>
#include <string>

using weft::test::TestDatabase;
using weft::test::test_cluster_url;

namespace {

bool database_exists(const std::string& name) {
  pqxx::connection connection(test_cluster_url("postgres"));
  pqxx::nontransaction tx(connection);
  return !tx.exec("SELECT 1 FROM pg_database WHERE datname = " + tx.quote(name)).empty();
}

}  // namespace

TEST_CASE("TestDatabase creates a fresh database and drops it") {
  std::string name;
  std::unique_ptr<pqxx::connection> lingering;
  {
    const TestDatabase database;
    const TestDatabase other;
    name = database.name();
    CHECK(name.rfind("weft_test_", 0) == 0);
    CHECK(other.name() != name);
    REQUIRE(database_exists(name));

    pqxx::connection connection(database.url());
    pqxx::work tx(connection);
    CHECK(tx.exec1("SELECT current_database()")[0].as<std::string>() == name);
    CHECK(tx.exec1("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")[0].as<int>() == 0);
    tx.exec("CREATE TABLE t (id int)");
    tx.commit();
    // A test that forgets to close its connection must not block the drop.
    lingering = std::make_unique<pqxx::connection>(database.url());
  }
  CHECK_FALSE(database_exists(name));
}
