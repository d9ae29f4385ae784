// Every checkpoint shape against the real server: each prepares, binds its
// parameters in the right places and writes exactly its parts, under the lease.
#include "store/checkpoint_sql.hpp"
#include "store/step_transaction.hpp"
#include "store/store.hpp"
#include "support/test_database.hpp"

#include <pqxx/pqxx>

#include <catch2/catch.hpp>

#include <cstdio>
#include <functional>
#include <string>
#include <vector>

namespace {

using weft::store::Checkpoint;
using weft::store::CheckpointShape;
using weft::store::Lease;

constexpr const char* kHost = "00000000-0000-0000-0000-00000000000b";

std::string execution_id(unsigned index) {
  char id[37];
  std::snprintf(id, sizeof id, "00000000-0000-0000-0000-%012u", index + 1);
  return id;
}

long long count(pqxx::connection& db, const std::string& query) {
  pqxx::nontransaction txn(db);
  return txn.exec1(query)[0].as<long long>();
}

/// How many rows of each part the checkpoints written should have left.
struct Expected {
  int attempts = 0, steps = 0, compensations = 0, consumed = 0, events = 0, statuses = 0;
  void add(CheckpointShape shape) {
    attempts += shape.attempts;
    steps += shape.steps;
    compensations += shape.compensations;
    consumed += shape.consumed_signals;
    events += shape.events;
    statuses += shape.execution;
  }
};

/// `count` running executions owned by kHost with fence 1, each with an open signal.
void owned_executions(pqxx::connection& db, unsigned count) {
  pqxx::work txn(db);
  txn.exec("INSERT INTO weft.definitions (workflow, content_hash, version, source_path, yaml, scripts) "
           "VALUES ('w', 'h', '1', 'w.yaml', 'id: w', '{}')");
  for (unsigned index = 0; index < count; ++index) {
    txn.exec_params("INSERT INTO weft.executions (id, workflow, content_hash, version, status, trace_id, input, "
                    "owner, fence) VALUES ($1::uuid, 'w', 'h', '1', 'running', 't', '{}', $2::uuid, 1)",
                    execution_id(index), std::string(kHost));
    txn.exec_params("INSERT INTO weft.signals (execution_id, name) VALUES ($1::uuid, 'go')", execution_id(index));
  }
  txn.commit();
}

/// A checkpoint with one row of each part of `shape`; `signal` is the id a wait would consume.
Checkpoint checkpoint_of(CheckpointShape shape, unsigned index, std::int64_t signal) {
  Checkpoint checkpoint;
  const std::string tag = std::to_string(index);
  // A failed attempt: one that completes a step is written on the step's row.
  if (shape.attempts) {
    checkpoint.attempts.push_back(
        {"retry-" + tag, 1, "failed", weft::JsonObject{{"code", "boom"}}, 1000, 2000, nullptr});
  }
  if (shape.steps) {
    weft::store::StepState state;
    state.step_id = "step-" + tag;
    state.status = "completed";
    state.attempts = 1;
    state.output = weft::JsonObject{{"shape", index}};
    checkpoint.steps.push_back({state, std::nullopt});
  }
  if (shape.compensations) {
    weft::store::StepState state;
    state.step_id = "undo-" + tag;
    state.status = "compensating";
    checkpoint.compensations.push_back({state, std::int64_t{0}});
  }
  if (shape.consumed_signals) checkpoint.consumed_signals.push_back(signal);
  if (shape.events) {
    checkpoint.events.push_back({"shape-test", "event-" + tag, "test.shape", "trace-" + tag,
                                 weft::JsonObject{{"specversion", "1.0"}, {"id", "event-" + tag}}});
  }
  if (shape.execution) checkpoint.status = "compensating";
  return checkpoint;
}

/// The checkpoint of shape `index` for the execution of that index (its open signal consumed).
Checkpoint checkpoint_for(pqxx::connection& db, unsigned index) {
  pqxx::nontransaction txn(db);
  const auto signal =
      txn.exec_params1("SELECT id FROM weft.signals WHERE execution_id = $1::uuid", execution_id(index))[0]
          .as<std::int64_t>();
  return checkpoint_of(CheckpointShape::from_index(index), index, signal);
}

/// The rows `expected` says the checkpoints written left, each on its own shape's execution.
void check_written(pqxx::connection& db, const Expected& expected);

/// Writes each shape's checkpoint for the execution of that index with `write`
/// (given the held lease and a stale one), then checks what was written.
using WriteShape = std::function<void(unsigned index, const Lease& held, const Lease& stale, const Checkpoint&)>;
void write_every_shape(pqxx::connection& db, const WriteShape& write) {
  Expected expected;
  for (unsigned index = 0; index < CheckpointShape::kCount; ++index) {
    INFO("shape " << index);
    const auto id = execution_id(index);
    write(index, Lease{id, kHost, 1}, Lease{id, kHost, 2}, checkpoint_for(db, index));
    expected.add(CheckpointShape::from_index(index));
  }
  check_written(db, expected);
}

}  // namespace

TEST_CASE("every checkpoint shape writes exactly its parts, and nothing with a stale lease", "[store][pg]") {
  weft::test::TestDatabase database;
  weft::store::migrate(database.url());
  pqxx::connection db(database.url());
  owned_executions(db, CheckpointShape::kCount);
  weft::store::Store store(database.url());
  write_every_shape(db, [&](unsigned, const Lease& held, const Lease& stale, const Checkpoint& checkpoint) {
    CHECK_FALSE(store.checkpoint(stale, checkpoint));  // nothing
    REQUIRE(store.checkpoint(held, checkpoint));
  });
}

TEST_CASE("every shape sent with COMMIT writes its parts and the step's SQL only while the lease holds",
          "[store][pg]") {
  weft::test::TestDatabase database;
  weft::store::migrate(database.url());
  pqxx::connection db(database.url());
  owned_executions(db, CheckpointShape::kCount);
  {
    pqxx::nontransaction txn(db);
    txn.exec("CREATE TABLE effects (shape int PRIMARY KEY)");
    txn.exec("INSERT INTO weft.locks (key, holder, token, expires_at) "
             "SELECT 'lock-' || g, 'h', g, now() + interval '1 hour' FROM generate_series(0, 63) g");
  }
  weft::store::Store store(database.url());
  write_every_shape(db, [&](unsigned index, const Lease& held, const Lease& stale, const Checkpoint& checkpoint) {
    const auto step = [&](const Lease& lease) {
      weft::store::StepTransaction txn(store, weft::store::IsolationLevel::ReadCommitted, std::nullopt);
      CHECK(txn.exec("INSERT INTO effects VALUES ($1)", {weft::Json(index)}) == 1);
      txn.unlock("lock-" + std::to_string(index), index);
      return txn.commit(lease, checkpoint);
    };
    const auto effects = "SELECT count(*) FROM effects WHERE shape = " + std::to_string(index);
    const auto lock = "SELECT count(*) FROM weft.locks WHERE key = 'lock-" + std::to_string(index) + "'";
    // The step's own effect and its lock release go with the fenced-out checkpoint.
    CHECK(step(stale) == weft::store::StepTransaction::Committed::FencedOut);
    CHECK(count(db, effects) == 0);
    CHECK(count(db, lock) == 1);
    REQUIRE(step(held) == weft::store::StepTransaction::Committed::Yes);
    CHECK(count(db, effects) == 1);
    CHECK(count(db, lock) == 0);
  });
}

TEST_CASE("a transactional step without SQL opens, checkpoints and commits in one go", "[store][pg]") {
  weft::test::TestDatabase database;
  weft::store::migrate(database.url());
  pqxx::connection db(database.url());
  owned_executions(db, 1);
  weft::store::Store store(database.url());
  Checkpoint checkpoint = checkpoint_of(CheckpointShape::from_index(3), 0, 0);  // attempts and steps
  weft::store::StepTransaction txn(store, weft::store::IsolationLevel::Serializable, std::chrono::milliseconds(500));
  REQUIRE(txn.commit(Lease{execution_id(0), kHost, 1}, checkpoint) == weft::store::StepTransaction::Committed::Yes);
  CHECK(count(db, "SELECT count(*) FROM weft.steps WHERE step_id = 'step-0' AND status = 'completed'") == 1);
  CHECK(count(db, "SELECT count(*) FROM weft.attempts WHERE step_id = 'retry-0'") == 1);
}

namespace {

void check_written(pqxx::connection& db, const Expected& expected) {
  CHECK(count(db, "SELECT count(*) FROM weft.attempts WHERE host_id = '" + std::string(kHost) + "'") == expected.attempts);
  CHECK(count(db, "SELECT count(*) FROM weft.steps WHERE status = 'completed' AND done_seq IS NOT NULL "
                  "AND output->>'shape' IS NOT NULL") == expected.steps);
  CHECK(count(db, "SELECT count(*) FROM weft.compensations WHERE status = 'compensating'") == expected.compensations);
  CHECK(count(db, "SELECT count(*) FROM weft.signals WHERE consumed_by = '" + std::string(kHost) + "'") == expected.consumed);
  CHECK(count(db, "SELECT count(*) FROM weft.events WHERE source = 'shape-test'") == expected.events);
  CHECK(count(db, "SELECT count(*) FROM weft.executions WHERE status = 'compensating' AND owner IS NOT NULL") ==
        expected.statuses);
  // Each part's row sits on the execution of a shape that has the part.
  CHECK(count(db, "SELECT count(*) FROM weft.steps s JOIN weft.executions e ON e.id = s.execution_id "
                  "WHERE s.step_id <> 'step-' || (right(e.id::text, 12)::bigint - 1)") == 0);
}

}  // namespace

TEST_CASE("a finishing and a parking checkpoint hand the execution back", "[store][pg]") {
  weft::test::TestDatabase database;
  weft::store::migrate(database.url());
  pqxx::connection db(database.url());
  owned_executions(db, 2);
  weft::store::Store store(database.url());
  Checkpoint finish;
  finish.finish = Checkpoint::Finish{"completed", weft::JsonObject{{"total", 3}}, nullptr};
  REQUIRE(store.checkpoint(Lease{execution_id(0), kHost, 1}, finish));
  Checkpoint park;
  park.status = "waiting";
  park.park = Checkpoint::Park{60000, 0};
  REQUIRE(store.checkpoint(Lease{execution_id(1), kHost, 1}, park));
  CHECK(count(db, "SELECT count(*) FROM weft.executions WHERE id = '" + execution_id(0) +
                      "' AND status = 'completed' AND owner IS NULL AND fence = 2 AND finished_at IS NOT NULL "
                      "AND output->>'total' = '3'") == 1);
  CHECK(count(db, "SELECT count(*) FROM weft.executions WHERE id = '" + execution_id(1) +
                      "' AND status = 'waiting' AND owner IS NULL AND fence = 2 AND finished_at IS NULL "
                      "AND available_at > now() + interval '50 seconds'") == 1);
}

TEST_CASE("one batch of checkpoints of every shape writes each its own parts, none under a stale lease",
          "[store][pg]") {
  weft::test::TestDatabase database;
  weft::store::migrate(database.url());
  pqxx::connection db(database.url());
  owned_executions(db, CheckpointShape::kCount);
  std::vector<Lease> leases;
  std::vector<Checkpoint> checkpoints;
  for (unsigned index = 0; index < CheckpointShape::kCount; ++index) {
    // Odd executions carry a stale fence: nothing of theirs may be written.
    leases.push_back(Lease{execution_id(index), kHost, index % 2 == 0 ? 1 : 0});
    checkpoints.push_back(checkpoint_for(db, index));
  }
  std::vector<weft::store::Store::BatchedCheckpoint> entries(CheckpointShape::kCount);
  std::vector<weft::store::Store::BatchedCheckpoint*> batch;
  for (unsigned index = 0; index < CheckpointShape::kCount; ++index) {
    entries[index].lease = &leases[index];
    entries[index].checkpoint = &checkpoints[index];
    batch.push_back(&entries[index]);
  }
  weft::store::Store store(database.url());
  store.checkpoint_batch(batch);
  Expected expected;
  for (unsigned index = 0; index < CheckpointShape::kCount; ++index) {
    INFO("shape " << index);
    CHECK(!entries[index].failure);
    CHECK(entries[index].written == (index % 2 == 0));
    if (index % 2 != 0) continue;
    const auto shape = CheckpointShape::from_index(index);
    expected.add(shape);
  }
  CHECK(count(db, "SELECT count(*) FROM weft.attempts") == expected.attempts);
  CHECK(count(db, "SELECT count(*) FROM weft.steps") == expected.steps);
  CHECK(count(db, "SELECT count(*) FROM weft.compensations") == expected.compensations);
  CHECK(count(db, "SELECT count(*) FROM weft.signals WHERE consumed_at IS NOT NULL") == expected.consumed);
  CHECK(count(db, "SELECT count(*) FROM weft.events") == expected.events);
  CHECK(count(db, "SELECT count(*) FROM weft.executions WHERE status = 'compensating'") == expected.statuses);
  // Every row written belongs to an execution whose lease held, and to its own shape.
  CHECK(count(db, "SELECT count(*) FROM weft.steps s WHERE (right(s.execution_id::text, 12)::bigint - 1) % 2 = 1 "
                  "OR s.step_id <> 'step-' || (right(s.execution_id::text, 12)::bigint - 1)") == 0);
  CHECK(count(db, "SELECT count(*) FROM weft.attempts a WHERE (right(a.execution_id::text, 12)::bigint - 1) % 2 = 1")
        == 0);
}

TEST_CASE("a completed attempt is written on its row and failed ones in weft.attempts, the history shows all",
          "[store][pg]") {
  weft::test::TestDatabase database;
  weft::store::migrate(database.url());
  pqxx::connection db(database.url());
  owned_executions(db, 1);
  weft::store::Store store(database.url());
  const Lease lease{execution_id(0), kHost, 1};
  const auto step = [](const char* status, int attempts) {
    weft::store::StepState state;
    state.step_id = "pay";
    state.status = status;
    state.attempts = attempts;
    return state;
  };

  Checkpoint failed;
  failed.steps.push_back({step("retrying", 1), std::int64_t{0}});
  failed.attempts.push_back({"pay", 1, "failed", weft::JsonObject{{"code", "boom"}}, 1000, 2000, nullptr});
  REQUIRE(store.checkpoint(lease, failed));
  Checkpoint completed;
  completed.steps.push_back({step("completed", 2), std::nullopt});
  completed.attempts.push_back({"pay", 2, "completed", nullptr, 5000, 6500, weft::JsonObject{{"lock_wait_ms", 3}}});
  REQUIRE(store.checkpoint(lease, completed));
  // Compensating rewrites the step's row without an attempt: its completed one stays.
  Checkpoint compensated;
  compensated.steps.push_back({step("compensated", 2), std::nullopt});
  compensated.compensations.push_back({step("compensated", 1), std::nullopt});
  compensated.attempts.push_back({"compensate:pay", 1, "completed", nullptr, 7000, 7100, nullptr});
  REQUIRE(store.checkpoint(lease, compensated));

  CHECK(count(db, "SELECT count(*) FROM weft.attempts") == 1);
  CHECK(count(db, "SELECT count(*) FROM weft.attempt_history WHERE host_id = '" + std::string(kHost) + "'") == 3);
  const auto detail = store.get_execution(execution_id(0));
  REQUIRE(detail);
  REQUIRE(detail->steps.size() == 1);
  const auto& attempts = detail->steps[0].attempts;
  REQUIRE(attempts.size() == 2);
  CHECK(attempts[0].attempt == 1);
  CHECK(attempts[0].status == "failed");
  CHECK(attempts[0].error == weft::JsonObject{{"code", "boom"}});
  CHECK(attempts[1].attempt == 2);
  CHECK(attempts[1].status == "completed");
  CHECK(attempts[1].started_at == 5000);
  CHECK(attempts[1].finished_at == 6500);
  CHECK(attempts[1].info == weft::JsonObject{{"lock_wait_ms", 3}});
  REQUIRE(detail->compensations.size() == 1);
  REQUIRE(detail->compensations[0].attempts.size() == 1);
  CHECK(detail->compensations[0].attempts[0].status == "completed");
  CHECK(detail->compensations[0].attempts[0].finished_at == 7100);
}
