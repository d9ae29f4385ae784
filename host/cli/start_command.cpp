#include "api/start_execution.hpp"
#include "cli/args.hpp"
#include "cli/cli.hpp"
#include "cli/commands.hpp"
#include "cli/database.hpp"
#include "cli/workflow_lookup.hpp"

#include <chrono>
#include <cstdio>
#include <thread>

namespace weft::cli {

int run_start(const CommandArgs& raw) {
  const Args args(raw, FlagSpec{{"--input", "--key", "--workflows", "--db"}, {"--wait", "--help"}});
  if (args.has("--help")) {
    std::puts("usage: weft start WORKFLOW [--input JSON] [--key K] [--workflows DIR] [--db URL] [--wait]\n"
              "starts an execution (or finds the one holding the key) and prints its id;\n"
              "the version is the one the running hosts serve (their newest stored one when none runs);\n"
              "--workflows DIR: the version in DIR instead (stored first);\n"
              "--wait: waits until it finishes, prints its status, exits 1 unless it completed");
    return kExitOk;
  }
  if (args.positional().size() != 1) throw UsageError("expected exactly one WORKFLOW");
  api::StartRequest request;
  request.workflow = args.positional()[0];
  if (const auto input = args.value("--input")) {
    std::string error;
    auto parsed = parse_json(*input, &error);
    if (!parsed) throw UsageError("--input: " + error);
    request.input = std::move(*parsed);
  }
  if (const auto key = args.value("--key")) {
    if (key->empty()) throw UsageError("--key must not be empty");
    request.key = *key;
  }
  const auto workflows = args.value("--workflows");
  const auto definition = workflows ? find_workflow(*workflows, request.workflow) : nullptr;

  const auto store = open_store(database_url(args));
  lua::Vm vm;
  api::StartedExecution result;
  try {
    result = definition ? api::start_execution(*store, *definition, request, vm)
                        : api::start_execution(*store, request, vm);
  } catch (const api::StartError& error) {
    if (error.reason() == api::StartError::Reason::InvalidRequest) throw UsageError(error.what());
    throw RuntimeError(error.what());
  }
  if (result.source == api::VersionSource::NewestStored)
    std::fprintf(stderr, "no running host serves workflow '%s'; started its newest stored version %s\n",
                 result.workflow.c_str(), result.version.c_str());
  if (!result.created)
    std::fprintf(stderr, "an execution with key '%s' already exists\n", result.key.value_or("").c_str());
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
