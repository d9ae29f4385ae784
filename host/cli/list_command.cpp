#include "cli/args.hpp"
#include "cli/cli.hpp"
#include "cli/commands.hpp"
#include "cli/database.hpp"
#include "cli/format.hpp"

#include <cstdio>
#include <set>

namespace weft::cli {

int run_list(const CommandArgs& raw) {
  const Args args(raw, FlagSpec{{"--workflow", "--status", "--limit", "--db"}, {"--json", "--help"}});
  if (args.has("--help")) {
    std::puts("usage: weft list [--workflow W] [--status S] [--limit N] [--json] [--db URL]");
    return kExitOk;
  }
  if (!args.positional().empty()) throw UsageError("unexpected argument '" + args.positional()[0] + "'");
  static const std::set<std::string> kStatuses = {"pending",   "running",     "waiting",
                                                  "compensating", "completed", "compensated",
                                                  "failed",    "cancelled",   "timed_out"};
  store::ListFilter filter;
  filter.workflow = args.value("--workflow");
  filter.status = args.value("--status");
  if (filter.status && !kStatuses.count(*filter.status)) {
    throw UsageError("unknown status '" + *filter.status +
                     "' (pending running waiting compensating completed compensated failed "
                     "cancelled timed_out)");
  }
  filter.limit = static_cast<int>(std::min<long long>(args.positive_integer("--limit").value_or(50), 10000));
  const auto store = open_store(database_url(args));
  const auto summaries = store->list_executions(filter);
  if (args.has("--json")) {
    JsonArray rows;
    for (const auto& summary : summaries) rows.push_back(summary_json(summary));
    std::printf("%s\n", to_json_text(rows).c_str());
    return kExitOk;
  }
  if (summaries.empty()) {
    std::puts("no executions");
    return kExitOk;
  }
  std::printf("%-36s  %-24s %-12s %-11s %-24s %s\n", "ID", "WORKFLOW", "VERSION", "STATUS", "CREATED", "KEY");
  for (const auto& summary : summaries) {
    std::printf("%-36s  %-24s %-12s %-11s %-24s %s\n", summary.id.c_str(), summary.workflow.c_str(),
                summary.version.c_str(), summary.status.c_str(), format_time(summary.created_at).c_str(),
                summary.key.value_or("").c_str());
  }
  return kExitOk;
}

}  // namespace weft::cli
