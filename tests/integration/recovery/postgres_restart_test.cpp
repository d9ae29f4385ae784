// The database goes away under a running host: a fast shutdown and restart
// (`weft db stop` / `weft db start`), and a crash of the postmaster (SIGKILL)
// followed by crash recovery. The host must reconnect on its own and finish
// every execution, with each transactional effect applied exactly once.
// These tests use a private cluster in a temporary WEFT_HOME: the shared test
// cluster serves other tests running in parallel.
#include "recovery_support.hpp"
#include "support/process.hpp"

#include <signal.h>

#include <thread>

using namespace weft::test;

namespace {

constexpr int kExecutions = 100;

class PrivateCluster {
 public:
  PrivateCluster() {
    const auto started = db({"start"});
    INFO(started.err);
    REQUIRE(started.exit_code == 0);
    url_ = started.out.substr(0, started.out.find('\n'));
    REQUIRE(!url_.empty());
  }
  ~PrivateCluster() { db({"stop"}); }
  PrivateCluster(const PrivateCluster&) = delete;
  PrivateCluster& operator=(const PrivateCluster&) = delete;

  const std::string& url() const { return url_; }
  const TempDir& dir() const { return dir_; }
  Environment environment() const { return {"WEFT_HOME=" + (dir_.path() / "home").string()}; }
  CommandResult db(const std::vector<std::string>& args) const {
    std::vector<std::string> full = {"db"};
    full.insert(full.end(), args.begin(), args.end());
    return run_weft(full, {}, environment());
  }
  CommandResult weft(std::vector<std::string> args, const std::string& stdin_text = {}) const {
    args.insert(args.end(), {"--db", url_});
    return run_weft(args, stdin_text, environment());
  }
  /// The postmaster's pid from `weft db status`; 0 when it is not running.
  int postmaster_pid() const {
    const auto status = db({"status"});
    const auto at = status.out.find("pid:");
    if (at == std::string::npos) return 0;
    return std::stoi(status.out.substr(at + 4));
  }

 private:
  TempDir dir_;
  std::string url_;
};

void write_workflow(const PrivateCluster& cluster) {
  // 100ms of work per execution (100 x 100ms on 2 workers) spans the outage.
  write_effects_workflow(cluster.dir(), "pgr", 5, "100ms", 100);
}

/// Runs kExecutions executions on one host and calls `outage` while they are in flight.
void survive(const std::function<void(PrivateCluster&)>& outage, const char* what,
             const std::vector<std::string>& host_args = {}) {
  PrivateCluster cluster;
  Sql sql(cluster.url());
  sql.exec("CREATE TABLE effects (execution_id text NOT NULL, step text NOT NULL)");
  write_workflow(cluster);
  std::vector<std::string> args = {"serve", "--workflows", (cluster.dir().path() / "workflows").string(),
                                   "--db", cluster.url(), "--workers", "2"};
  args.insert(args.end(), host_args.begin(), host_args.end());
  HostProcess host(args, cluster.dir().path() / "host.log", cluster.environment());
  const auto started = std::chrono::steady_clock::now();
  const auto emitted = cluster.weft({"emit"}, job_events("job", 0, kExecutions));
  INFO(emitted.err);
  REQUIRE(emitted.exit_code == 0);

  const auto finished = [&] {
    return sql.count("SELECT count(*) FROM weft.executions WHERE finished_at IS NOT NULL");
  };
  const auto steps_done = [&] { return sql.count("SELECT count(*) FROM weft.steps WHERE status = 'completed'"); };
  // Mid-run: a good part of the steps are done, far from all (the host takes
  // steps breadth-first, so executions tend to finish in bursts).
  REQUIRE(eventually([&] { return steps_done() >= kExecutions; }, std::chrono::seconds(30)));
  const auto before = finished();
  const auto steps_before = steps_done();
  INFO("before the outage: " << before << " execution(s) and " << steps_before << " step(s) finished");
  REQUIRE(steps_before < 3 * kExecutions);
  REQUIRE(before < kExecutions);
  sql.reset();

  const auto down_at = std::chrono::steady_clock::now();
  outage(cluster);
  const auto up_at = std::chrono::steady_clock::now();

  long long done = 0;
  eventually([&] {
    try {
      done = finished();
    } catch (const pqxx::broken_connection&) {
      sql.reset();
    }
    return done == kExecutions || !host.running();  // a host that exited finishes nothing
  }, std::chrono::seconds(60));
  const auto recovered_ms = millis_since(up_at);
  INFO("host log:\n" << host.log());
  CHECK(host.running());
  REQUIRE(done == kExecutions);

  CHECK(sql.count("SELECT count(*) FROM weft.executions WHERE status = 'completed'") == kExecutions);
  CHECK(sql.count("SELECT count(*) FROM weft.executions WHERE owner IS NOT NULL") == 0);
  CHECK(sql.count("SELECT count(*) FROM (SELECT 1 FROM effects GROUP BY execution_id, step "
                  "HAVING count(*) <> 1) d") == 0);
  CHECK(sql.count("SELECT count(*) FROM effects") == 2LL * kExecutions);
  const auto history = check_history(sql, "pgr");
  INFO("inconsistent steps:\n" << history.sample);
  CHECK(history.steps == 4LL * kExecutions);
  CHECK(history.bad_steps == 0);
  report("[recovery] %s: %d executions, %lld of them and %lld of %d steps finished before the outage, database down for %lld ms, all finished "
         "%lld ms after it was back (wall %.1f s); failed attempts %lld (%s)",
         what, kExecutions, before, steps_before, 4 * kExecutions, std::chrono::duration_cast<std::chrono::milliseconds>(up_at - down_at).count(),
         recovered_ms, seconds_since(started), history.failed_attempts, history.codes.c_str());
}

}  // namespace

TEST_CASE("a host rides out a PostgreSQL restart (fast shutdown)", "[recovery][pg]") {
  survive([](PrivateCluster& cluster) {
    const auto stopped = cluster.db({"stop"});
    INFO(stopped.err);
    REQUIRE(stopped.exit_code == 0);
    REQUIRE(cluster.postmaster_pid() == 0);
    std::this_thread::sleep_for(std::chrono::seconds(2));  // the outage itself, not a wait for a result
    const auto starting_at = std::chrono::steady_clock::now();
    const auto restarted = cluster.db({"start"});
    INFO(restarted.err);
    REQUIRE(restarted.exit_code == 0);
    report("[recovery] `weft db start` after the fast stop took %lld ms", millis_since(starting_at));
  }, "PostgreSQL fast restart");
}

TEST_CASE("a host rides out a PostgreSQL crash (postmaster killed with SIGKILL)", "[recovery][pg]") {
  survive([](PrivateCluster& cluster) {
    const int pid = cluster.postmaster_pid();
    REQUIRE(pid > 0);
    const auto killed_at = std::chrono::steady_clock::now();
    REQUIRE(::kill(pid, SIGKILL) == 0);
    REQUIRE(eventually([&] { return cluster.postmaster_pid() == 0; }, std::chrono::seconds(10)));
    const auto gone_ms = millis_since(killed_at);
    std::this_thread::sleep_for(std::chrono::seconds(2));  // the outage itself
    const auto starting_at = std::chrono::steady_clock::now();
    const auto restarted = cluster.db({"start"});
    INFO(restarted.err);
    REQUIRE(restarted.exit_code == 0);
    report("[recovery] postmaster %d killed; `weft db status` saw it gone after %lld ms; `weft db start` took %lld ms",
           pid, gone_ms, millis_since(starting_at));
  }, "PostgreSQL crash (kill -9 postmaster)");
}

// Longer than the lease: the host drops what it held, rejoins under a new
// identity when the database is back, and finishes everything.
TEST_CASE("a host rides out a PostgreSQL outage longer than its lease", "[recovery][pg]") {
  survive([](PrivateCluster& cluster) {
    const auto stopped = cluster.db({"stop"});
    INFO(stopped.err);
    REQUIRE(stopped.exit_code == 0);
    std::this_thread::sleep_for(std::chrono::seconds(4));  // the outage: twice the lease
    const auto restarted = cluster.db({"start"});
    INFO(restarted.err);
    REQUIRE(restarted.exit_code == 0);
  }, "PostgreSQL down for twice the host's lease", {"--lease", "2s"});
}
