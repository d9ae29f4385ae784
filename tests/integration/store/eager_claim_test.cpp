// Routing takes on what the routing host has room for (issue 6): those
// executions are owned from the start, and their first checkpoints commit in
// the routing transaction, or nothing of that routing does.
#include "store/store.hpp"
#include "support/test_database.hpp"

#include <pqxx/pqxx>

#include <catch2/catch.hpp>

#include <map>

#include <cstdio>
#include <string>
#include <vector>

namespace {

using weft::store::Checkpoint;
using weft::store::ClaimedExecution;
using weft::store::EventRecord;
using weft::store::NewExecution;
using weft::store::Store;

constexpr const char* kHost = "00000000-0000-0000-0000-00000000000c";

long long count(const std::string& url, const std::string& query) {
  pqxx::connection db(url);
  pqxx::nontransaction txn(db);
  return txn.exec1(query)[0].as<long long>();
}

/// A store with the schema, one definition, this host registered and `events` events waiting.
void prepare(const std::string& url, int events) {
  weft::store::migrate(url);
  Store store(url);
  store.save_definition({"w", "h", "1", "w.yaml", "id: w", {}});
  store.register_host(kHost, std::chrono::seconds(30));
  std::vector<EventRecord> records;
  for (int i = 0; i < events; ++i) {
    const auto id = "e" + std::to_string(i);
    records.push_back({"test", id, "t", "trace-" + id, weft::JsonObject{{"id", id}, {"n", i}}});
  }
  store.insert_events(records);
}

/// Starts one execution per event; with `keyed`, each under a concurrency key.
weft::store::RouteFn one_execution_each(bool keyed = false) {
  return [keyed](const EventRecord& event) {
    NewExecution execution;
    char id[37];
    std::snprintf(id, sizeof id, "00000000-0000-0000-0001-%012d", std::stoi(event.id.substr(1)));
    execution.id = id;
    execution.workflow = "w";
    execution.content_hash = "h";
    execution.version = "1";
    execution.trace_id = event.trace_id;
    execution.event_source = event.source;
    execution.event_id = event.id;
    execution.input = event.document;
    execution.timeout_ms = 60000;
    if (keyed) {
      execution.concurrency_key = "k";
      execution.concurrency_limit = 1;
    }
    return std::vector<NewExecution>{execution};
  };
}

/// The first checkpoint every test start returns (the caller keeps it alive).
const Checkpoint* first_step_running() {
  static const Checkpoint checkpoint = [] {
    Checkpoint first;
    weft::store::StepState state;
    state.step_id = "first";
    state.status = "running";
    state.attempts = 1;
    first.steps.push_back({state, std::nullopt});
    return first;
  }();
  return &checkpoint;
}

}  // namespace

TEST_CASE("routing owns up to its limit of new executions and commits their first checkpoints", "[store][pg]") {
  weft::test::TestDatabase database;
  prepare(database.url(), 5);
  Store store(database.url());
  std::vector<ClaimedExecution> started;
  Store::EagerClaim claim{kHost, 3, [&](ClaimedExecution record) -> const Checkpoint* {
                            started.push_back(std::move(record));
                            return first_step_running();
                          }};
  const auto routed = store.route_events(100, one_execution_each(), claim);
  CHECK(routed.events == 5);
  CHECK(routed.claimed == 3);
  CHECK(routed.unclaimed == 2);
  REQUIRE(started.size() == 3);
  for (const auto& record : started) {
    CHECK(record.fence == 1);
    CHECK(record.status == "running");
    REQUIRE(record.event);
    CHECK(record.event->at("id") == record.input.at("id"));  // the event is handed over, not read again
    REQUIRE(record.deadline_at.has_value());
    CHECK(*record.deadline_at - record.db_now == 60000);
  }
  const std::string owned = "owner = '" + std::string(kHost) + "'";
  CHECK(count(database.url(), "SELECT count(*) FROM weft.executions WHERE " + owned +
                                  " AND fence = 1 AND claims = 1 AND status = 'running' AND started_at IS NOT NULL") == 3);
  CHECK(count(database.url(), "SELECT count(*) FROM weft.executions WHERE owner IS NULL AND fence = 0 AND claims = 0 "
                              "AND status = 'pending' AND started_at IS NULL AND deadline_at IS NULL") == 2);
  CHECK(count(database.url(), "SELECT count(*) FROM weft.steps s JOIN weft.executions e ON e.id = s.execution_id "
                              "WHERE s.status = 'running' AND e." + owned) == 3);
  CHECK(count(database.url(), "SELECT count(*) FROM weft.events WHERE routed_at IS NULL") == 0);
  // The two left over are claimable as ever; the three taken on are not.
  CHECK(store.claim_executions(kHost, 10).to_resume.size() == 2);
}

TEST_CASE("a first checkpoint that fails rolls the whole routing back", "[store][pg]") {
  weft::test::TestDatabase database;
  prepare(database.url(), 3);
  Store store(database.url());
  int calls = 0;
  Store::EagerClaim claim{kHost, 10, [&](ClaimedExecution) -> const Checkpoint* {
                            if (++calls == 2) throw std::runtime_error("planning failed");
                            return first_step_running();
                          }};
  CHECK_THROWS_WITH(store.route_events(100, one_execution_each(), claim), Catch::Contains("planning failed"));
  CHECK(count(database.url(), "SELECT count(*) FROM weft.executions") == 0);
  CHECK(count(database.url(), "SELECT count(*) FROM weft.steps") == 0);
  CHECK(count(database.url(), "SELECT count(*) FROM weft.events WHERE routed_at IS NULL") == 3);
  // Routed again, all of them are created.
  Store::EagerClaim retry{kHost, 10, [](ClaimedExecution) -> const Checkpoint* { return first_step_running(); }};
  CHECK(store.route_events(100, one_execution_each(), retry).claimed == 3);
  CHECK(count(database.url(), "SELECT count(*) FROM weft.steps") == 3);
}

TEST_CASE("routing takes on nothing for a dead host, nor executions waiting for admission", "[store][pg]") {
  weft::test::TestDatabase database;
  prepare(database.url(), 4);
  Store store(database.url());
  int calls = 0;
  Store::EagerClaim claim{kHost, 10, [&](ClaimedExecution) -> const Checkpoint* {
                            ++calls;
                            return first_step_running();
                          }};
  SECTION("executions with a concurrency key") {
    const auto routed = store.route_events(100, one_execution_each(true), claim);
    CHECK(routed.claimed == 0);
    CHECK(routed.unclaimed == 4);
    CHECK(routed.concurrency_keys);
  }
  SECTION("no start function: nothing is taken on (rather than called)") {
    const auto routed = store.route_events(100, one_execution_each(), Store::EagerClaim{kHost, 10, nullptr});
    CHECK(routed.claimed == 0);
    CHECK(routed.unclaimed == 4);
  }
  SECTION("a host declared dead") {
    {
      pqxx::connection db(database.url());
      pqxx::nontransaction txn(db);
      txn.exec_params("UPDATE weft.hosts SET dead_at = now() WHERE id = $1::uuid", std::string(kHost));
    }
    const auto routed = store.route_events(100, one_execution_each(), claim);
    CHECK(routed.claimed == 0);
    CHECK(routed.unclaimed == 4);
  }
  CHECK(calls == 0);
  CHECK(count(database.url(), "SELECT count(*) FROM weft.executions WHERE owner IS NULL AND status = 'pending'") == 4);
}

TEST_CASE("a first claim starts its execution in the claim's transaction, unless a cancel or a signal waits for it",
          "[store][pg]") {
  weft::test::TestDatabase database;
  prepare(database.url(), 6);
  Store store(database.url());
  const auto routed = store.route_events(100, one_execution_each(), Store::EagerClaim{kHost, 0, {}});
  REQUIRE(routed.unclaimed == 6);
  {
    // Something already waits for two of them: a cancel request, a signal.
    pqxx::connection db(database.url());
    pqxx::nontransaction txn(db);
    txn.exec("UPDATE weft.executions SET cancel_requested = true WHERE event_id = 'e0'");
    txn.exec("INSERT INTO weft.signals (execution_id, name) SELECT id, 'go' FROM weft.executions WHERE event_id = 'e1'");
  }
  const std::string owned = "owner = '" + std::string(kHost) + "' AND claims = 1";

  // A start that fails rolls the claim back: nothing is owned or written.
  int calls = 0;
  const auto failing = [&](ClaimedExecution) -> const Checkpoint* {
    if (++calls == 2) throw std::runtime_error("planning failed");
    return first_step_running();
  };
  CHECK_THROWS_WITH(store.claim_executions(kHost, 10, failing), Catch::Contains("planning failed"));
  CHECK(count(database.url(), "SELECT count(*) FROM weft.executions WHERE owner IS NULL AND claims = 0") == 6);
  CHECK(count(database.url(), "SELECT count(*) FROM weft.steps") == 0);

  std::vector<ClaimedExecution> started;
  const auto claimed = store.claim_executions(kHost, 10, [&](ClaimedExecution record) -> const Checkpoint* {
    started.push_back(std::move(record));
    return first_step_running();
  });
  CHECK(claimed.started == 4);
  REQUIRE(started.size() == 4);
  for (const auto& record : started) {
    CHECK(record.fence == 1);
    REQUIRE(record.event);
    CHECK(record.event->at("id") == record.input.at("id"));
  }
  REQUIRE(claimed.to_resume.size() == 2);
  for (const auto& record : claimed.to_resume) CHECK((record.cancel_requested || !record.signals.empty()));
  CHECK(count(database.url(), "SELECT count(*) FROM weft.executions WHERE " + owned) == 6);
  // The four started have their first step running, committed with the claim.
  CHECK(count(database.url(), "SELECT count(*) FROM weft.steps s JOIN weft.executions e ON e.id = s.execution_id "
                              "WHERE s.status = 'running' AND e." + owned) == 4);
}

TEST_CASE("a first checkpoint the server refuses rolls the routing back and leaves the connection usable",
          "[store][pg]") {
  weft::test::TestDatabase database;
  prepare(database.url(), 3);
  Store store(database.url());
  // jsonb cannot hold U+0000: the checkpoint statement fails on the server,
  // and the COMMIT pipelined behind it is skipped.
  static const Checkpoint refused = [] {
    Checkpoint first = *first_step_running();
    first.steps[0].state.input = weft::JsonObject{{"text", std::string("a\0b", 3)}};
    return first;
  }();
  Store::EagerClaim bad{kHost, 10, [](ClaimedExecution) -> const Checkpoint* { return &refused; }};
  try { store.route_events(100, one_execution_each(), bad); } catch (const std::exception& e) { WARN(e.what()); }
  WARN(count(database.url(), "SELECT count(*) FROM pg_stat_activity WHERE state = 'idle in transaction (aborted)'"));
  CHECK(count(database.url(), "SELECT count(*) FROM weft.executions") == 0);
  CHECK(count(database.url(), "SELECT count(*) FROM weft.events WHERE routed_at IS NULL") == 3);
  // The same connection routes again: the failed transaction was rolled back, not left open.
  Store::EagerClaim good{kHost, 10, [](ClaimedExecution) -> const Checkpoint* { return first_step_running(); }};
  CHECK(store.route_events(100, one_execution_each(), good).claimed == 3);
  CHECK(count(database.url(), "SELECT count(*) FROM weft.steps") == 3);
}

TEST_CASE("executions one event started are claimed with its document, read once", "[store][pg]") {
  weft::test::TestDatabase database;
  prepare(database.url(), 2);
  Store store(database.url());
  // Three workflows match each event (a fan-out); none is taken on while routing.
  for (const auto* workflow : {"w2", "w3"}) store.save_definition({workflow, "h", "1", "w.yaml", "id: w", {}});
  const auto three_each = [](const EventRecord& event) {
    auto executions = one_execution_each()(event);
    for (int copy = 2; copy <= 3; ++copy) {
      auto more = executions[0];
      more.id.replace(19, 4, "000" + std::to_string(copy));
      more.workflow = "w" + std::to_string(copy);
      executions.push_back(std::move(more));
    }
    return executions;
  };
  REQUIRE(store.route_events(100, three_each, Store::EagerClaim{kHost, 0, {}}).unclaimed == 6);
  std::vector<ClaimedExecution> started;
  store.claim_executions(kHost, 10, [&](ClaimedExecution record) -> const Checkpoint* {
    started.push_back(std::move(record));
    return first_step_running();
  });
  REQUIRE(started.size() == 6);
  std::map<std::string, const weft::Json*> document_of;  // event id -> the one document its executions share
  for (const auto& record : started) {
    INFO(record.id);
    REQUIRE(record.event);
    CHECK(record.event->at("id") == record.input.at("id"));
    const auto [it, first] = document_of.emplace(record.event->at("id").as_string().c_str(), record.event.get());
    if (!first) CHECK(it->second == record.event.get());
  }
  CHECK(document_of.size() == 2);
}
