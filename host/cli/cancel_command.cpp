#include "cli/refusal.hpp"
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
  const auto result = api::cancel_execution(*store, id);
  throw_if_refused(result);
  std::printf("%s\n", result.message.c_str());
  return kExitOk;
}

}  // namespace weft::cli
