// A step's own SQL is prepared on its connection once the same text has run
// twice (issue 6): later runs skip parsing and planning, results stay the same,
// the number of prepared texts is bounded, and a statement whose tables changed
// shape fails once, retryably, and is prepared afresh.
#include "store/statement_cache.hpp"
#include "store/step_transaction.hpp"
#include "store/store.hpp"
#include "support/test_database.hpp"

#include <pqxx/pqxx>

#include <catch2/catch.hpp>

using weft::Json;
using weft::store::IsolationLevel;
using weft::store::SqlError;
using weft::store::StatementCache;
using weft::store::StepTransaction;

namespace {

void setup(const std::string& url) {
  pqxx::connection db(url);
  pqxx::nontransaction txn(db);
  txn.exec("CREATE TABLE items (id int PRIMARY KEY, stock int NOT NULL)");
  txn.exec("INSERT INTO items SELECT g, 100 FROM generate_series(1, 10) g");
}

// Statements prepared for steps on this step transaction's connection (this
// query, once it is prepared too, left out).
std::vector<std::string> prepared_texts(StepTransaction& txn) {
  std::vector<std::string> texts;
  const auto rows = txn.query("SELECT statement FROM pg_prepared_statements WHERE name LIKE 'weft_step_sql_%' "
                              "AND statement NOT LIKE '%pg_prepared_statements%' ORDER BY statement",
                              {});
  for (const auto& row : rows.as_array()) texts.emplace_back(row.as_object().at("statement").as_string());
  return texts;
}

StepTransaction begin(weft::store::Store& store) {
  return StepTransaction(store, IsolationLevel::ReadCommitted, std::nullopt);
}

}  // namespace

TEST_CASE("a step statement that keeps coming back is prepared, and runs the same", "[transactions][pg]") {
  weft::test::TestDatabase database;
  weft::store::migrate(database.url());
  setup(database.url());
  weft::store::Store store(database.url());
  const std::string update = "UPDATE items SET stock = stock - $1 WHERE id = $2 RETURNING stock";
  std::vector<std::int64_t> left;
  for (int run = 0; run < 5; ++run) {
    auto txn = begin(store);
    const auto rows = txn.query(update, {Json(1), Json(3)});
    left.push_back(rows.as_array().at(0).as_object().at("stock").as_int64());
    if (run == 0) CHECK(prepared_texts(txn).empty());
    if (run == 4) CHECK(prepared_texts(txn) == std::vector<std::string>{update});
    txn.commit();
  }
  CHECK(left == std::vector<std::int64_t>{99, 98, 97, 96, 95});

  // exec() shares the cache and still reports the rows it changed.
  for (int run = 0; run < 4; ++run) {
    auto txn = begin(store);
    CHECK(txn.exec("UPDATE items SET stock = stock + 1 WHERE id <= $1", {Json(4)}) == 4);
    txn.commit();
  }
  auto txn = begin(store);
  CHECK(prepared_texts(txn).size() == 2);
}

TEST_CASE("SQL built from values never prepares more than the cache's bound", "[transactions][pg]") {
  weft::test::TestDatabase database;
  weft::store::migrate(database.url());
  setup(database.url());
  weft::store::Store store(database.url());
  auto txn = begin(store);
  for (std::size_t n = 0; n < StatementCache::kMaxPrepared + 20; ++n) {
    const std::string sql = "SELECT stock + " + std::to_string(n) + " AS s FROM items WHERE id = $1";
    for (int run = 0; run < 3; ++run) CHECK(txn.query(sql, {Json(1)}).as_array().size() == 1);
  }
  CHECK(prepared_texts(txn).size() == StatementCache::kMaxPrepared);
}

TEST_CASE("a prepared statement whose table changed shape fails retryably once, then runs prepared afresh",
          "[transactions][pg]") {
  weft::test::TestDatabase database;
  weft::store::migrate(database.url());
  setup(database.url());
  weft::store::Store store(database.url());
  const std::string select = "SELECT * FROM items WHERE id = $1";
  for (int run = 0; run < 3; ++run) {
    auto txn = begin(store);
    CHECK(txn.query(select, {Json(2)}).as_array().at(0).as_object().size() == 2);
    txn.commit();
  }
  {
    pqxx::connection other(database.url());
    pqxx::nontransaction ddl(other);
    ddl.exec("ALTER TABLE items ADD COLUMN note text DEFAULT 'n'");
  }
  {
    auto txn = begin(store);
    try {
      txn.query(select, {Json(2)});
      FAIL("a stale prepared statement ran");
    } catch (const SqlError& error) {
      CHECK(error.error().retryable);
      // The error names the step's SQL, not the generated statement name.
      CHECK(error.error().details.as_object().at("query").as_string() == select);
    }
  }
  // The retry: unprepared once more, then prepared again with the new columns.
  for (int run = 0; run < 3; ++run) {
    auto txn = begin(store);
    const auto row = txn.query(select, {Json(2)}).as_array().at(0).as_object();
    CHECK(row.size() == 3);
    CHECK(row.at("note").as_string() == "n");
    txn.commit();
  }
  auto txn = begin(store);
  CHECK(prepared_texts(txn) == std::vector<std::string>{select});
}

TEST_CASE("an error from a prepared step statement names the step's SQL", "[transactions][pg]") {
  weft::test::TestDatabase database;
  weft::store::migrate(database.url());
  setup(database.url());
  weft::store::Store store(database.url());
  const std::string insert = "INSERT INTO items (id, stock) VALUES ($1, 1)";
  for (int id = 100; id < 103; ++id) {
    auto txn = begin(store);
    CHECK(txn.exec(insert, {Json(id)}) == 1);
    txn.commit();
  }
  auto txn = begin(store);
  CHECK(prepared_texts(txn) == std::vector<std::string>{insert});
  try {
    txn.exec(insert, {Json(100)});
    FAIL("a duplicate key was inserted");
  } catch (const SqlError& error) {
    CHECK(error.error().code == "constraint_violation");
    CHECK_FALSE(error.error().retryable);
    CHECK(error.error().details.as_object().at("query").as_string() == insert);
    CHECK(error.error().details.as_object().at("constraint").as_string() == "items_pkey");
  }
}
