// Checkpoints that share commits (issue 6): each writer learns its own result,
// a fenced-out one writes nothing, and one bad checkpoint in a batch costs no
// other checkpoint its write.
#include "store/group_commit.hpp"
#include "store/store.hpp"
#include "support/test_database.hpp"

#include <pqxx/pqxx>

#include <catch2/catch.hpp>

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace {

using weft::store::Checkpoint;
using weft::store::Lease;

constexpr const char* kHost = "00000000-0000-0000-0000-00000000000a";

/// `count` executions owned by kHost with fence 1, ids ...0001, ...0002, ...
std::vector<std::string> owned_executions(const std::string& url, int count) {
  pqxx::connection db(url);
  pqxx::work txn(db);
  txn.exec("INSERT INTO weft.definitions (workflow, content_hash, version, source_path, yaml, scripts) "
           "VALUES ('w', 'h', '1', 'w.yaml', 'id: w', '{}')");
  std::vector<std::string> ids;
  for (int i = 1; i <= count; ++i) {
    char id[37];
    std::snprintf(id, sizeof id, "00000000-0000-0000-0000-%012d", i);
    txn.exec_params("INSERT INTO weft.executions (id, workflow, content_hash, version, status, trace_id, input, "
                    "owner, fence) VALUES ($1::uuid, 'w', 'h', '1', 'running', 't', '{}', $2::uuid, 1)",
                    std::string(id), std::string(kHost));
    ids.emplace_back(id);
  }
  txn.commit();
  return ids;
}

Checkpoint step_completed(const std::string& step) {
  Checkpoint checkpoint;
  weft::store::StepState state;
  state.step_id = step;
  state.status = "completed";
  state.attempts = 1;
  state.output = weft::JsonObject{{"step", step}};
  checkpoint.steps.push_back({state, std::nullopt});
  checkpoint.attempts.push_back({step, 1, "completed", nullptr, 1, 2, nullptr});
  return checkpoint;
}

long long count(const std::string& url, const std::string& query) {
  pqxx::connection db(url);
  pqxx::nontransaction txn(db);
  return txn.exec1(query)[0].as<long long>();
}

}  // namespace

TEST_CASE("concurrent checkpoints share commits and each writer gets its own result", "[store][pg]") {
  weft::test::TestDatabase database;
  weft::store::migrate(database.url());
  constexpr int kThreads = 8, kEach = 40;
  const auto ids = owned_executions(database.url(), kThreads);
  weft::store::GroupCommit commits(database.url(), 2);
  std::atomic<int> written{0}, fenced{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        // Every other write carries a stale fence: it must write nothing.
        const Lease lease{ids[t], kHost, i % 2 == 0 ? 1 : 0};
        if (commits.write(lease, step_completed("s" + std::to_string(i)))) {
          ++written;
        } else {
          ++fenced;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(written == kThreads * kEach / 2);
  CHECK(fenced == kThreads * kEach / 2);
  CHECK(count(database.url(), "SELECT count(*) FROM weft.steps") == kThreads * kEach / 2);
  // Each completed attempt is on its step's row, none in weft.attempts.
  CHECK(count(database.url(), "SELECT count(*) FROM weft.attempt_history WHERE status = 'completed'") ==
        kThreads * kEach / 2);
  CHECK(count(database.url(), "SELECT count(*) FROM weft.attempts") == 0);
  const auto stats = commits.take_stats();
  CHECK(stats.checkpoints == static_cast<std::uint64_t>(kThreads * kEach));
  CHECK(stats.commits < stats.checkpoints);  // eight writers on two lanes: batches formed
}

TEST_CASE("a failing checkpoint in a batch leaves the others written", "[store][pg]") {
  weft::test::TestDatabase database;
  weft::store::migrate(database.url());
  const auto ids = owned_executions(database.url(), 2);
  weft::store::Store store(database.url());
  const Lease good{ids[0], kHost, 1};
  const Lease bad{"not-a-uuid", kHost, 1};  // the statement fails: invalid input syntax for uuid
  const Lease stale{ids[1], kHost, 7};
  const auto first = step_completed("a"), second = step_completed("b"), third = step_completed("c");
  const auto entry = [](const Lease& lease, const Checkpoint& checkpoint) {
    weft::store::Store::BatchedCheckpoint batched;
    batched.lease = &lease;
    batched.checkpoint = &checkpoint;
    return batched;
  };
  auto a = entry(good, first), b = entry(bad, second), c = entry(stale, third);
  store.checkpoint_batch({&a, &b, &c});
  CHECK(a.written);
  CHECK(!a.failure);
  CHECK(b.failure);
  CHECK(!c.written);  // fenced out, not an error
  CHECK(!c.failure);
  CHECK(count(database.url(), "SELECT count(*) FROM weft.steps") == 1);
}

TEST_CASE("a submitter that finds a lane idle writes its checkpoint and hears back before submit returns", "[store][pg]") {
  weft::test::TestDatabase database;
  weft::store::migrate(database.url());
  const auto ids = owned_executions(database.url(), 1);
  weft::store::GroupCommit commits(database.url(), 2);
  const Lease lease{ids[0], kHost, 1};
  std::optional<std::thread::id> completed_on;
  bool written = false;
  commits.submit(lease, step_completed("a"), [&](const Checkpoint& checkpoint, const auto& outcome) {
    completed_on = std::this_thread::get_id();
    written = outcome.written && !outcome.failure && checkpoint.steps.at(0).state.step_id == "a";
  });
  // No hand-off between threads under light load.
  REQUIRE(completed_on.has_value());
  CHECK(*completed_on == std::this_thread::get_id());
  CHECK(written);
  CHECK(count(database.url(), "SELECT count(*) FROM weft.steps WHERE step_id = 'a'") == 1);
}

TEST_CASE("submitters do not wait: every checkpoint is answered once, and follow-ups queued by completions are written",
          "[store][pg]") {
  weft::test::TestDatabase database;
  weft::store::migrate(database.url());
  constexpr int kExecutions = 40, kChain = 5;
  const auto ids = owned_executions(database.url(), kExecutions);
  std::vector<Lease> leases, stale;
  for (const auto& id : ids) {
    leases.push_back(Lease{id, kHost, 1});
    stale.push_back(Lease{id, kHost, 0});
  }
  weft::store::GroupCommit commits(database.url(), 2);
  std::mutex mutex;
  std::map<std::string, int> answers;  // per execution
  int written = 0, fenced = 0;
  // Each execution writes a chain of checkpoints, the next submitted from the
  // previous one's completion (as the engine does: one in flight per
  // execution), and then one with a stale fence.
  const auto stale_one = [&](std::size_t execution) {
    commits.submit(stale[execution], step_completed("stale"), [&](const Checkpoint&, const auto& outcome) {
      std::lock_guard lock(mutex);
      if (!outcome.written && !outcome.failure) ++fenced;
    });
  };
  std::function<void(std::size_t, int)> chain = [&](std::size_t execution, int link) {
    commits.submit(leases[execution], step_completed("s" + std::to_string(link)),
                   [&, execution, link](const Checkpoint&, const auto& outcome) {
                     {
                       std::lock_guard lock(mutex);
                       ++answers[ids[execution]];
                       if (outcome.written) ++written;
                     }
                     if (link + 1 < kChain) {
                       chain(execution, link + 1);
                     } else {
                       stale_one(execution);
                     }
                   });
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (std::size_t e = static_cast<std::size_t>(t); e < ids.size(); e += 4) chain(e, 0);
    });
  }
  for (auto& thread : threads) thread.join();
  commits.drain();
  std::lock_guard lock(mutex);
  CHECK(written == kExecutions * kChain);
  CHECK(fenced == kExecutions);
  for (const auto& id : ids) CHECK(answers[id] == kChain);
  CHECK(count(database.url(), "SELECT count(*) FROM weft.steps") == kExecutions * kChain);
  CHECK(count(database.url(), "SELECT count(*) FROM weft.steps WHERE step_id = 'stale'") == 0);
  const auto stats = commits.take_stats();
  CHECK(stats.checkpoints == static_cast<std::uint64_t>(kExecutions * (kChain + 1)));
  CHECK(stats.commits < stats.checkpoints);
}

TEST_CASE("stopping the committer writes what is still queued", "[store][pg]") {
  weft::test::TestDatabase database;
  weft::store::migrate(database.url());
  const auto ids = owned_executions(database.url(), 30);
  std::vector<Lease> leases;
  for (const auto& id : ids) leases.push_back(Lease{id, kHost, 1});
  std::atomic<int> answered{0};
  {
    weft::store::GroupCommit commits(database.url(), 1);
    // Queued from a completion, so the submitting thread does not write them itself.
    commits.submit(leases[0], step_completed("first"), [&](const Checkpoint&, const auto&) {
      ++answered;
      for (std::size_t i = 1; i < leases.size(); ++i)
        commits.submit(leases[i], step_completed("queued"), [&](const Checkpoint&, const auto&) { ++answered; });
    });
  }
  CHECK(answered == 30);
  CHECK(count(database.url(), "SELECT count(*) FROM weft.steps WHERE step_id = 'queued'") == 29);
}
