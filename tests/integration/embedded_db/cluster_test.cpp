// `weft db start | stop | status | url` against a cluster of its own, in a
// temporary WEFT_HOME: creation, concurrent starts, crash recovery, stop.
#include "embedded_db/cluster.hpp"

#include <catch2/catch.hpp>
#include <pqxx/pqxx>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace {
namespace fs = std::filesystem;
using weft::embedded_db::Cluster;

struct Run {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// `weft db <args>` with WEFT_HOME pointing at `home` (the suite's own
// WEFT_HOME is the shared test cluster, which this test must not touch).
Run weft_db(const fs::path& home, std::vector<std::string> args) {
  static int counter = 0;
  const fs::path err_file = home.parent_path() / ("stderr-" + std::to_string(++counter) + "-" +
                                                  std::to_string(::getpid()));
  std::vector<std::string> env;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    if (std::string_view(*entry).rfind("WEFT_HOME=", 0) != 0) env.emplace_back(*entry);
  }
  env.push_back("WEFT_HOME=" + home.string());
  args.insert(args.begin(), {WEFT_BINARY, "db"});
  std::vector<char*> argv, envp;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);

  int out_pipe[2];
  REQUIRE(::pipe2(out_pipe, O_CLOEXEC) == 0);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  posix_spawn_file_actions_addopen(&actions, 2, err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0600);
  pid_t pid = 0;
  const int spawned = ::posix_spawn(&pid, WEFT_BINARY, &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  ::close(out_pipe[1]);
  REQUIRE(spawned == 0);

  Run run;
  char buffer[4096];
  for (ssize_t n; (n = ::read(out_pipe[0], buffer, sizeof buffer)) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    run.out.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(out_pipe[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  std::ifstream err(err_file);
  std::ostringstream text;
  text << err.rdbuf();
  run.err = text.str();
  fs::remove(err_file);
  return run;
}

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

// A short path: the socket path must fit in sockaddr_un.
class TempHome {
 public:
  TempHome() {
    char pattern[] = "/tmp/weft-db-XXXXXX";
    REQUIRE(::mkdtemp(pattern) != nullptr);
    dir_ = pattern;
  }
  ~TempHome() {
    weft_db(home(), {"stop"});
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  fs::path home() const { return dir_ / "home"; }

 private:
  fs::path dir_;
};

bool eventually(const std::function<bool()>& condition, std::chrono::seconds timeout) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < until) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return condition();
}

std::string query_one(const std::string& url, const std::string& sql) {
  pqxx::connection connection(url);
  pqxx::nontransaction tx(connection);
  return tx.exec1(sql)[0].as<std::string>();
}

}  // namespace

TEST_CASE("weft db creates, starts, recovers and stops a private cluster") {
  const TempHome temp;
  const fs::path home = temp.home();
  const Cluster cluster(home);
  const std::string url = cluster.url();
  CHECK(url == "postgresql://weft@/weft?host=" + (home / "pg" / "run").string());

  // `url` and `status` never create or start anything.
  const Run url_run = weft_db(home, {"url"});
  CHECK(url_run.exit_code == 0);
  CHECK(first_line(url_run.out) == url);
  const Run before = weft_db(home, {"status"});
  CHECK(before.exit_code == 0);
  CHECK(before.out.find("state: not created") != std::string::npos);
  CHECK_FALSE(fs::exists(home / "pg" / "data"));

  // Two commands creating the cluster at once: one initialises, both succeed.
  auto first = std::async(std::launch::async, [&] { return weft_db(home, {"start"}); });
  auto second = std::async(std::launch::async, [&] { return weft_db(home, {"start"}); });
  for (const Run& run : {first.get(), second.get()}) {
    INFO(run.err);
    CHECK(run.exit_code == 0);
    CHECK(first_line(run.out) == url);
  }

  const Run running = weft_db(home, {"status"});
  CHECK(running.exit_code == 0);
  CHECK(running.out.find("state: running") != std::string::npos);
  CHECK(running.out.find("url:   " + url) != std::string::npos);
  const auto status = cluster.status();
  REQUIRE(status.running);
  REQUIRE(status.pid > 0);

  CHECK(query_one(url, "SELECT current_database()") == "weft");
  CHECK(query_one(url, "SHOW listen_addresses").empty());
  CHECK(query_one(url, "SHOW fsync") == "on");
  CHECK(query_one(url, "SHOW synchronous_commit") == "on");
  CHECK(query_one(url, "SHOW max_connections") == "200");
  {
    pqxx::connection connection(url);
    pqxx::work tx(connection);
    tx.exec("CREATE TABLE survives (n int)");
    tx.exec("INSERT INTO survives VALUES (42)");
    tx.commit();
  }

  // A crash: the postmaster dies without cleaning up its lock files.
  REQUIRE(::kill(status.pid, SIGKILL) == 0);
  REQUIRE(eventually([&] { return !cluster.status().running; }, std::chrono::seconds(10)));
  const Run restarted = weft_db(home, {"start"});
  INFO(restarted.err);
  CHECK(restarted.exit_code == 0);
  const auto after_crash = cluster.status();
  CHECK(after_crash.running);
  CHECK(after_crash.pid != status.pid);
  CHECK(query_one(url, "SELECT n FROM survives") == "42");

  // Starting a running cluster is a no-op.
  CHECK(weft_db(home, {"start"}).exit_code == 0);
  CHECK(cluster.status().pid == after_crash.pid);

  const Run stopped = weft_db(home, {"stop"});
  INFO(stopped.err);
  CHECK(stopped.exit_code == 0);
  CHECK_FALSE(cluster.status().running);
  CHECK(weft_db(home, {"status"}).out.find("state: stopped") != std::string::npos);
  CHECK_THROWS(query_one(url, "SELECT 1"));
  CHECK(weft_db(home, {"stop"}).exit_code == 0);
}

TEST_CASE("weft db rejects unknown sub-commands and extra arguments") {
  const TempHome temp;
  CHECK(weft_db(temp.home(), {}).exit_code == 2);
  CHECK(weft_db(temp.home(), {"restart"}).exit_code == 2);
  CHECK(weft_db(temp.home(), {"start", "now"}).exit_code == 2);
  CHECK(weft_db(temp.home(), {"status", "--json"}).exit_code == 2);
  CHECK_FALSE(fs::exists(temp.home() / "pg"));
}
