#include "cli/refusal.hpp"
#include "cli/args.hpp"
#include "cli/cli.hpp"
#include "cli/commands.hpp"
#include "cli/database.hpp"

#include <algorithm>
#include <cstdio>

namespace weft::cli {

int run_signal(const CommandArgs& raw) {
  const Args args(raw, FlagSpec{{"--data", "--db"}, {"--help"}});
  if (args.has("--help")) {
    std::puts("usage: weft signal EXECUTION_ID NAME [--data JSON] [--db URL]\n"
              "resumes a step waiting for signal NAME; its output is the signal's data");
    return kExitOk;
  }
  if (args.positional().size() != 2) throw UsageError("expected EXECUTION_ID and NAME");
  const auto& id = args.positional()[0];
  const auto& name = args.positional()[1];
  Json data = nullptr;
  if (const auto text = args.value("--data")) {
    std::string error;
    auto parsed = parse_json(*text, &error);
    if (!parsed) throw UsageError("--data: " + error);
    data = std::move(*parsed);
  }
  const auto store = open_store(database_url(args));
  const auto result = api::signal_execution(*store, id, name, data);
  throw_if_refused(result);
  std::printf("%s\n", result.message.c_str());
  return kExitOk;
}

}  // namespace weft::cli
