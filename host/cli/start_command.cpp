#include "cli/args.hpp"
#include "cli/cli.hpp"
#include "cli/commands.hpp"
#include "cli/database.hpp"
#include "cli/workflow_lookup.hpp"
#include "engine/execution_plan.hpp"

#include <chrono>
#include <cstdio>
#include <thread>

namespace weft::cli {

int run_start(const CommandArgs& raw) {
  const Args args(raw, FlagSpec{{"--input", "--key", "--workflows", "--db"}, {"--wait", "--help"}});
  if (args.has("--help")) {
    std::puts("usage: weft start WORKFLOW [--input JSON] [--key K] [--workflows DIR] [--db URL] [--wait]\n"
              "starts an execution (or finds the one holding the key) and prints its id;\n"
              "--wait: waits until it finishes, prints its status, exits 1 unless it completed");
    return kExitOk;
  }
  if (args.positional().size() != 1) throw UsageError("expected exactly one WORKFLOW");
  engine::PlanRequest request;
  if (const auto input = args.value("--input")) {
    std::string error;
    auto parsed = parse_json(*input, &error);
    if (!parsed) throw UsageError("--input: " + error);
    request.input = std::move(*parsed);
  } else {
    request.input = JsonObject{};
  }
  if (const auto key = args.value("--key")) {
    if (key->empty()) throw UsageError("--key must not be empty");
    request.key = *key;
  }
  const auto definition =
      find_workflow(args.value("--workflows").value_or("workflows"), args.positional()[0]);

  lua::Vm vm;
  const auto plan = engine::plan_execution(*definition, request, vm);
  if (!plan.execution) throw UsageError(plan.error);

  const auto store = open_store(database_url(args));
  store->save_definition(engine::snapshot_of(*definition));
  const auto result = store->start_execution(*plan.execution);
  if (!result.created)
    std::fprintf(stderr, "an execution with key '%s' already exists\n", plan.execution->key->c_str());
  std::printf("%s\n", result.execution_id.c_str());
  if (!args.has("--wait")) return kExitOk;
  std::fflush(stdout);
  // A running host does the work; this only watches the database.
  for (;;) {
    const auto detail = store->get_execution(result.execution_id);
    if (detail && detail->summary.finished_at) {
      std::printf("%s\n", detail->summary.status.c_str());
      if (detail->summary.status == store::execution_status::kCompleted) return kExitOk;
      throw RuntimeError("execution " + result.execution_id + " ended " + detail->summary.status + ": " +
                         to_json_text(detail->error));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

}  // namespace weft::cli
