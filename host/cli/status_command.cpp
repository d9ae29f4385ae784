#include "cli/args.hpp"
#include "cli/cli.hpp"
#include "cli/commands.hpp"
#include "cli/database.hpp"
#include "cli/format.hpp"

#include <cstdio>

namespace weft::cli {
namespace {

void print_steps(const char* title, const std::vector<store::StepView>& steps);

void print_text(const store::ExecutionDetail& detail) {
  const auto& summary = detail.summary;
  std::printf("execution  %s\n", summary.id.c_str());
  std::printf("workflow   %s (version %s)\n", summary.workflow.c_str(), summary.version.c_str());
  std::printf("status     %s\n", summary.status.c_str());
  if (summary.key) std::printf("key        %s\n", summary.key->c_str());
  std::printf("trace      %s\n", summary.trace_id.c_str());
  std::printf("created    %s\n", format_time(summary.created_at).c_str());
  if (summary.finished_at) {
    std::printf("finished   %s (%s)\n", format_time(*summary.finished_at).c_str(),
                format_elapsed(*summary.finished_at - summary.created_at).c_str());
  }
  std::printf("input      %s\n", brief(detail.input, 200).c_str());
  if (!detail.output.is_null()) std::printf("output     %s\n", brief(detail.output, 200).c_str());
  if (!detail.error.is_null()) std::printf("error      %s\n", brief(detail.error, 200).c_str());
  print_steps("steps", detail.steps);
  print_steps("compensations", detail.compensations);
}

void print_steps(const char* title, const std::vector<store::StepView>& steps) {
  if (steps.empty()) return;
  std::printf("%s\n", title);
  for (const auto& step : steps) {
    const auto& state = step.state;
    std::string timing;
    if (state.started_at && state.finished_at)
      timing = format_elapsed(*state.finished_at - *state.started_at);
    std::printf("  %-20s %-10s %d attempt%s %s\n", state.step_id.c_str(), state.status.c_str(),
                state.attempts, state.attempts == 1 ? " " : "s", timing.c_str());
    for (const auto& attempt : step.attempts) {
      if (attempt.error.is_null()) continue;
      std::printf("    attempt %d: %s\n", attempt.attempt, brief(attempt.error, 160).c_str());
    }
  }
}

}  // namespace

int run_status(const CommandArgs& raw) {
  const Args args(raw, FlagSpec{{"--db"}, {"--json", "--help"}});
  if (args.has("--help")) {
    std::puts("usage: weft status EXECUTION_ID [--json] [--db URL]");
    return kExitOk;
  }
  if (args.positional().size() != 1) throw UsageError("expected exactly one EXECUTION_ID");
  const auto& id = args.positional()[0];
  const auto store = open_store(database_url(args));
  const auto detail = store->get_execution(id);
  if (!detail) throw RuntimeError("no execution with id '" + id + "'");
  if (args.has("--json")) {
    std::printf("%s\n", to_json_text(execution_json(*detail)).c_str());
  } else {
    print_text(*detail);
  }
  return kExitOk;
}

}  // namespace weft::cli
