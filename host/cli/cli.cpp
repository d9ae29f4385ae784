#include "cli/cli.hpp"

#include "cli/args.hpp"
#include "cli/commands.hpp"
#include "cli/db_command.hpp"
#include "common/log.hpp"

#include <cstdio>
#include <exception>
#include <functional>
#include <map>

namespace weft::cli {
namespace {

constexpr const char* kUsage = R"(usage: weft <command> [options]

commands:
  serve     run the host: route events, execute workflows
  validate  check workflow definitions (exit 0 valid, 2 invalid)
  emit      send an event (--type T [--data JSON] [--id ID] [--source S], or JSON lines on stdin)
  start     start an execution of a workflow
  status    show one execution
  list      list executions
  trace     show the timeline of a trace
  signal    deliver a signal to an execution waiting for it
  cancel    cancel an execution (compensates what it completed)
  dlq       list | retry ID: the dead-letter queue
  db        start | stop | status | url of the embedded database

run 'weft <command> --help' for a command's options
)";

using Command = std::function<int(const std::vector<std::string>&)>;

const std::map<std::string, Command>& commands() {
  static const std::map<std::string, Command> table = {
      {"db", run_db_command},         {"emit", run_emit},   {"list", run_list},
      {"serve", run_serve},           {"start", run_start}, {"status", run_status},
      {"trace", run_trace},           {"validate", run_validate},
      {"cancel", run_cancel},         {"dlq", run_dlq},     {"signal", run_signal},
  };
  return table;
}

}  // namespace

int run(const std::vector<std::string>& args) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    std::fputs(kUsage, args.empty() ? stderr : stdout);
    return args.empty() ? kExitUsage : kExitOk;
  }
  const auto it = commands().find(args[0]);
  if (it == commands().end()) {
    std::fprintf(stderr, "weft: unknown command '%s' (see 'weft --help')\n", args[0].c_str());
    return kExitUsage;
  }
  // Until a command chooses otherwise, log lines go to stderr: stdout is the
  // command's output (an execution id, JSON) and must stay clean.
  setup_logging(LogFormat::Text);
  try {
    return it->second(std::vector<std::string>(args.begin() + 1, args.end()));
  } catch (const UsageError& error) {
    std::fprintf(stderr, "weft %s: %s\n", args[0].c_str(), error.what());
    return kExitUsage;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "weft %s: %s\n", args[0].c_str(), error.what());
    return kExitFailure;
  }
}

}  // namespace weft::cli
