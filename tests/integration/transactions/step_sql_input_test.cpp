// Bad SQL input to a step transaction gets one clear error, changes nothing,
// and leaves the transaction usable: SQL or a parameter with a NUL byte
// (libpq would silently cut it and run a prefix), empty SQL, too many
// parameters, statements that would end the step's transaction or change the
// pooled connection's session.
#include "store/step_transaction.hpp"
#include "store/store.hpp"
#include "support/test_database.hpp"

#include <pqxx/pqxx>

#include <catch2/catch.hpp>

using weft::Json;
using weft::store::SqlError;
using weft::store::StepTransaction;

namespace {

/// The error `body` raised, which must be a SqlError.
weft::StepError error_of(const std::function<void()>& body) {
  try {
    body();
  } catch (const SqlError& error) {
    return error.error();
  }
  FAIL("no SqlError was raised");
  return {};
}

/// Migrates the test database, then runs `setup` on it.
void prepare(const weft::test::TestDatabase& database, const std::string& setup) {
  weft::store::migrate(database.url());
  pqxx::connection db(database.url());
  pqxx::nontransaction txn(db);
  txn.exec(setup);
}

long long count(const weft::test::TestDatabase& database, const std::string& query) {
  pqxx::connection db(database.url());
  pqxx::nontransaction txn(db);
  return txn.exec1(query)[0].as<long long>();
}

}  // namespace

TEST_CASE("bad SQL input gets one clear error and the transaction carries on", "[transactions][pg]") {
  weft::test::TestDatabase database;
  prepare(database, "CREATE TABLE items (id int PRIMARY KEY, note text); INSERT INTO items VALUES (1, 'a'), (2, 'b')");
  weft::store::Store store(database.url());
  StepTransaction txn(store, weft::store::IsolationLevel::ReadCommitted, std::nullopt);

  const std::string cut("DELETE FROM items\0 WHERE id = 1", 31);
  auto error = error_of([&] { txn.exec(cut, {}); });
  CHECK(error.code == "query");
  CHECK_FALSE(error.retryable);
  CHECK(error.message == "the SQL contains a NUL byte");

  error = error_of([&] { txn.exec("UPDATE items SET note = $1 WHERE id = 2", {Json(std::string("x\0y", 3))}); });
  CHECK(error.message.find("parameter $1 contains a NUL byte") != std::string::npos);

  error = error_of([&] { txn.query("  -- nothing to run\n", {}); });
  CHECK(error.code == "query");
  CHECK(error.message == "the SQL statement is empty (SQLSTATE 42601)");

  std::vector<Json> many(70000, Json(1));
  error = error_of([&] { txn.query("SELECT $1", many); });
  CHECK(error.message == "70000 parameters: PostgreSQL takes at most 65535");
  CHECK_FALSE(error.retryable);

  // Refused before sending: the transaction goes on and commits.
  CHECK(txn.query("SELECT count(*) AS n FROM items", {}).as_array().at(0).as_object().at("n").as_int64() == 2);
  txn.commit();
  CHECK(count(database, "SELECT count(*) FROM items WHERE note = 'b'") == 1);
}

TEST_CASE("step SQL may not end the step's transaction or change the pooled session", "[transactions][pg]") {
  weft::test::TestDatabase database;
  prepare(database, "CREATE TABLE items (id int PRIMARY KEY)");
  weft::store::Store store(database.url());
  {
    StepTransaction txn(store, weft::store::IsolationLevel::ReadCommitted, std::nullopt);
    txn.exec("INSERT INTO items VALUES (1)", {});
    // A COMMIT here would make the insert durable without the step's checkpoint.
    for (const char* sql : {"COMMIT", "  /* done */ commit;", "-- now\nEND", "ROLLBACK", "abort", "BEGIN",
                            "START TRANSACTION", "SAVEPOINT mine", "RELEASE SAVEPOINT mine",
                            "PREPARE TRANSACTION 'x'", "COMMIT PREPARED 'x'"}) {
      INFO(sql);
      const auto error = error_of([&] { txn.exec(sql, {}); });
      CHECK(error.code == "query");
      CHECK_FALSE(error.retryable);
      CHECK(error.message.find("the step's transaction is the host's") != std::string::npos);
    }
    // Session state would outlive the step on a pooled connection (a role, a search path).
    for (const char* sql : {"SET ROLE postgres", "set search_path = elsewhere", "SET SESSION AUTHORIZATION DEFAULT",
                            "RESET ALL", "DISCARD ALL", "DEALLOCATE ALL", "PREPARE mine AS SELECT 1", "LISTEN news",
                            "LOAD 'auto_explain'"}) {
      INFO(sql);
      const auto error = error_of([&] { txn.exec(sql, {}); });
      CHECK(error.code == "query");
      CHECK(error.message.find("would outlive this step") != std::string::npos);
    }
    // A session advisory lock would stay with the pooled connection.
    for (const char* sql : {"SELECT pg_advisory_lock(42)", "select PG_TRY_ADVISORY_LOCK_SHARED($1)",
                            "SELECT 1 FROM items WHERE pg_try_advisory_lock(id)"}) {
      INFO(sql);
      const auto error = error_of([&] { txn.exec(sql, {Json(1)}); });
      CHECK(error.code == "query");
      CHECK(error.message.find("session advisory lock would outlive this step") != std::string::npos);
    }
    // Streaming COPY would leave the connection waiting for data no one sends.
    for (const char* sql : {"COPY items FROM STDIN", "copy (SELECT 1) TO stdout"}) {
      INFO(sql);
      const auto error = error_of([&] { txn.exec(sql, {}); });
      CHECK(error.message.find("COPY FROM STDIN and COPY TO STDOUT") != std::string::npos);
    }
    // What stays inside the transaction is allowed.
    CHECK(txn.exec("SET LOCAL statement_timeout = 5000", {}) == 0);
    CHECK(txn.query("SELECT pg_advisory_xact_lock(42) AS locked", {}).as_array().size() == 1);
    CHECK(txn.query("SELECT 1 AS settled", {}).as_array().size() == 1);
    // Dropped without commit: the insert is rolled back, since nothing committed it early.
  }
  CHECK(count(database, "SELECT count(*) FROM items") == 0);
}
