#include "cli/args.hpp"
#include "cli/cli.hpp"
#include "cli/commands.hpp"
#include "cli/database.hpp"
#include "definitions/loader.hpp"

#include <algorithm>
#include <cstdio>

namespace weft::cli {
namespace {

// The signal names the execution's pinned definition waits for.
std::vector<std::string> awaited_signals(store::Store& store, const store::SignalTarget& target) {
  std::vector<std::string> names;
  const auto snapshot = store.load_definition(target.workflow, target.content_hash);
  if (!snapshot) return names;
  const auto loaded = definitions::load_bundle({snapshot->source_path, snapshot->yaml, snapshot->scripts});
  if (!loaded.definition) return names;
  for (const auto& step : loaded.definition->steps) {
    if (step.kind == definitions::StepKind::Wait) names.push_back(step.wait.signal);
  }
  return names;
}

}  // namespace

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
  const auto target = store->signal_target(id);
  if (!target) throw RuntimeError("no execution with id '" + id + "'");
  if (target->finished)
    throw RuntimeError("execution " + id + " already finished (" + target->status + "); signal not delivered");
  const auto names = awaited_signals(*store, *target);
  if (std::find(names.begin(), names.end(), name) == names.end()) {
    std::string known;
    for (const auto& candidate : names) known += (known.empty() ? "" : ", ") + candidate;
    throw UsageError("workflow '" + target->workflow + "' waits for no signal '" + name + "'" +
                     (known.empty() ? std::string(" (it has no wait steps)") : " (it waits for: " + known + ")"));
  }
  if (!store->deliver_signal(id, name, data))
    throw RuntimeError("execution " + id + " finished before the signal arrived; signal not delivered");
  std::printf("signal %s delivered to %s\n", name.c_str(), id.c_str());
  return kExitOk;
}

}  // namespace weft::cli
