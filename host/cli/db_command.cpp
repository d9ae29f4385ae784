#include "cli/db_command.hpp"

#include "cli/args.hpp"
#include "cli/cli.hpp"
#include "common/log.hpp"
#include "embedded_db/cluster.hpp"

#include <cstdio>
#include <string>

namespace weft::cli {
namespace {

constexpr const char* kDbUsage = R"(usage: weft db start | stop | status | url

The embedded database: a private PostgreSQL cluster under $WEFT_HOME/pg
(default ./.weft/pg), reachable only through a Unix socket there.

  start   create the cluster on first use, start it, print its URL
  stop    stop it (fast shutdown); nothing to do when it is not running
  status  print state (running, stopped or not created), pid, data directory
          and URL; exits 0 whatever the state
  url     print the URL without starting anything
)";

}  // namespace

int run_db_command(const std::vector<std::string>& raw_args) {
  for (const auto& arg : raw_args) {
    if (arg == "--help" || arg == "-h") {
      std::fputs(kDbUsage, stdout);
      return kExitOk;
    }
  }
  const Args args(raw_args, FlagSpec{});
  const auto& positional = args.positional();
  if (positional.empty()) throw UsageError("missing sub-command: start | stop | status | url");
  const std::string& sub = positional.front();
  if (sub != "start" && sub != "stop" && sub != "status" && sub != "url") {
    throw UsageError("unknown sub-command '" + sub + "' (start | stop | status | url)");
  }
  if (positional.size() > 1) {
    throw UsageError("'" + sub + "' takes no arguments, got '" + positional[1] + "'");
  }

  // Progress and warnings (first-time creation, permissions granted to the
  // postgres user) go to stderr, never
  // into the URL on stdout that scripts capture.
  setup_logging(LogFormat::Text);
  embedded_db::Cluster cluster(embedded_db::default_home());
  if (sub == "start") {
    cluster.start();
    std::printf("%s\n", cluster.url().c_str());
  } else if (sub == "stop") {
    cluster.stop();
  } else if (sub == "url") {
    std::printf("%s\n", cluster.url().c_str());
  } else {
    const auto status = cluster.status();
    const char* state = status.running ? "running" : status.initialized ? "stopped" : "not created";
    std::printf("state: %s\n", state);
    if (status.running) std::printf("pid:   %d\n", status.pid);
    std::printf("data:  %s\n", status.data_dir.c_str());
    std::printf("url:   %s\n", status.url.c_str());
  }
  return kExitOk;
}

}  // namespace weft::cli
