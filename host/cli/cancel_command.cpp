#include "cli/args.hpp"
#include "cli/cli.hpp"
#include "cli/commands.hpp"
#include "cli/database.hpp"

#include <cstdio>

namespace weft::cli {

int run_cancel(const CommandArgs& raw) {
  const Args args(raw, FlagSpec{{"--db"}, {"--help"}});
  if (args.has("--help")) {
    std::puts("usage: weft cancel EXECUTION_ID [--db URL]\n"
              "stops the execution at the next step boundary (a running Lua step is interrupted),\n"
              "runs the compensations of its completed steps, and ends it as cancelled");
    return kExitOk;
  }
  if (args.positional().size() != 1) throw UsageError("expected exactly one EXECUTION_ID");
  const auto& id = args.positional()[0];
  const auto store = open_store(database_url(args));
  std::string status;
  switch (store->request_cancel(id, status)) {
    case store::Refusal::None:
      std::printf("cancel requested for %s\n", id.c_str());
      return kExitOk;
    case store::Refusal::NotFound: throw RuntimeError("no execution with id '" + id + "'");
    case store::Refusal::Finished:
      throw RuntimeError("execution " + id + " already finished (" + status + "); nothing to cancel");
    case store::Refusal::AlreadyRequested:
      throw RuntimeError("a cancel of execution " + id + " was already requested (status " + status + ")");
    default: break;
  }
  throw RuntimeError("cannot cancel execution " + id);
}

}  // namespace weft::cli
