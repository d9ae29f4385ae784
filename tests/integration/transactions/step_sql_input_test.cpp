// Bad SQL input to a step transaction gets one clear error, changes nothing,
// and leaves the transaction usable: SQL or a parameter with a NUL byte
// (libpq would silently cut it and run a prefix), empty SQL, too many parameters.
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

}  // namespace

TEST_CASE("bad SQL input gets one clear error and the transaction carries on", "[transactions][pg]") {
  weft::test::TestDatabase database;
  weft::store::migrate(database.url());
  {
    pqxx::connection db(database.url());
    pqxx::nontransaction txn(db);
    txn.exec("CREATE TABLE items (id int PRIMARY KEY, note text)");
    txn.exec("INSERT INTO items VALUES (1, 'a'), (2, 'b')");
  }
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
  pqxx::connection db(database.url());
  pqxx::nontransaction check(db);
  CHECK(check.exec1("SELECT count(*) FROM items WHERE note = 'b'")[0].as<int>() == 1);
}
