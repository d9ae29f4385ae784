// Pipelines (libpq pipeline mode under a libpqxx connection): answers come back
// in order, a failure skips what follows it up to the Sync, the connection is
// left idle for libpqxx, host statements are prepared once per connection, and
// a lost connection is an exception, never a hang or a crash.
#include "store/pipeline.hpp"
#include "store/raw_connection.hpp"
#include "store/statement_cache.hpp"
#include "support/test_database.hpp"

#include <pqxx/pqxx>

#include <catch2/catch.hpp>

using weft::store::Pipeline;
using weft::store::RawConnection;
using weft::store::StatementCache;

TEST_CASE("a pipeline answers in order and a failure skips the rest of it", "[store][pg]") {
  weft::test::TestDatabase database;
  RawConnection connection(database.url());
  Pipeline pipeline(connection.handle());
  pipeline.query("SELECT $1::int + 1 AS n", {std::string("41")});
  pipeline.query("SELECT 1 / $1::int", {std::string("0")});
  pipeline.query("SELECT 'never'");
  const auto answers = pipeline.run();
  REQUIRE(answers.size() == 3);
  REQUIRE(answers[0].ok());
  CHECK(std::string(PQgetvalue(answers[0].result.get(), 0, 0)) == "42");
  CHECK(answers[1].sqlstate() == "22012");
  CHECK(answers[2].skipped());
  try {
    answers[1].raise("SELECT 1 / $1::int");
    FAIL("a failed answer did not raise");
  } catch (const pqxx::sql_error& error) {
    CHECK(error.sqlstate() == "22012");
    CHECK(error.query() == "SELECT 1 / $1::int");
  }
  // The connection is idle again: libpqxx can use it.
  pqxx::nontransaction txn(connection);
  CHECK(txn.exec1("SELECT 7")[0].as<int>() == 7);
}

TEST_CASE("a host statement is prepared once per connection, and a failed prepare is its answer", "[store][pg]") {
  weft::test::TestDatabase database;
  RawConnection connection(database.url());
  StatementCache statements;
  const auto prepared = [&] {
    pqxx::nontransaction txn(connection);
    return txn.exec1("SELECT count(*) FROM pg_prepared_statements WHERE name = 'double'")[0].as<int>();
  };
  for (int run = 0; run < 3; ++run) {
    Pipeline pipeline(connection.handle());
    pipeline.host_statement(statements, "double", "SELECT $1::int * 2", {std::to_string(run)});
    const auto answers = pipeline.run();
    REQUIRE(answers.size() == 1);  // the prepare has no answer of its own
    REQUIRE(answers[0].ok());
    CHECK(std::string(PQgetvalue(answers[0].result.get(), 0, 0)) == std::to_string(run * 2));
    CHECK(statements.has_host_statement("double"));
    CHECK(prepared() == 1);
  }
  Pipeline broken(connection.handle());
  broken.host_statement(statements, "bad", "SELECT FROM WHERE", {});
  const auto answers = broken.run();
  REQUIRE(answers.size() == 1);
  CHECK(answers[0].sqlstate() == "42601");
  CHECK_FALSE(statements.has_host_statement("bad"));
}

TEST_CASE("a lost connection throws, and an open pipelined transaction is let go quietly", "[store][pg]") {
  weft::test::TestDatabase database;
  RawConnection connection(database.url());
  int pid = 0;
  {
    pqxx::nontransaction txn(connection);
    pid = txn.exec1("SELECT pg_backend_pid()")[0].as<int>();
  }
  {
    weft::store::TransactionGuard transaction(connection.handle());
    Pipeline begin(connection.handle());
    begin.query("BEGIN");
    REQUIRE(begin.run()[0].ok());
    transaction.opened();
    {
      pqxx::connection other(database.url());
      pqxx::nontransaction txn(other);
      txn.exec_params("SELECT pg_terminate_backend($1)", pid);
    }
    Pipeline next(connection.handle());
    next.query("SELECT 1");
    CHECK_THROWS_AS(next.run(), pqxx::broken_connection);
  }  // the guard's ROLLBACK finds no connection: nothing may be thrown from it
}
