#include "cli/args.hpp"
#include "cli/cli.hpp"
#include "cli/commands.hpp"
#include "cli/database.hpp"
#include "cli/format.hpp"

#include <cstdio>

namespace weft::cli {

int run_trace(const CommandArgs& raw) {
  const Args args(raw, FlagSpec{{"--db"}, {"--json", "--help"}});
  if (args.has("--help")) {
    std::puts("usage: weft trace TRACE_ID [--json] [--db URL]\n"
              "the timeline of everything the trace caused: events, executions, step attempts");
    return kExitOk;
  }
  if (args.positional().size() != 1) throw UsageError("expected exactly one TRACE_ID");
  const auto& trace_id = args.positional()[0];
  const auto store = open_store(database_url(args));
  const auto entries = store->trace(trace_id);
  if (entries.empty()) throw RuntimeError("nothing recorded for trace '" + trace_id + "'");
  if (args.has("--json")) {
    std::printf("%s\n", to_json_text(views::trace_json(trace_id, entries)).c_str());
    return kExitOk;
  }
  const auto origin = entries.front().at;
  std::printf("trace %s\n", trace_id.c_str());
  for (const auto& entry : entries) {
    std::string subject = entry.workflow;
    if (!entry.execution_id.empty()) subject += " " + entry.execution_id.substr(0, 8);
    if (!entry.step_id.empty()) subject += " " + entry.step_id;
    std::printf("  +%-9s %-19s %-40s %s\n", format_elapsed(entry.at - origin).c_str(), entry.kind.c_str(),
                subject.c_str(), brief(entry.detail, 120).c_str());
  }
  return kExitOk;
}

}  // namespace weft::cli
