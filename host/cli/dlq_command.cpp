#include "cli/refusal.hpp"
#include "cli/args.hpp"
#include "cli/cli.hpp"
#include "cli/commands.hpp"
#include "cli/database.hpp"
#include "cli/format.hpp"

#include <cstdio>

namespace weft::cli {
namespace {

constexpr const char* kHelp =
    "usage: weft dlq list [--json] [--limit N] [--db URL]\n"
    "       weft dlq retry EXECUTION_ID [--db URL]\n"
    "the dead-letter queue: executions that failed without compensating, or whose compensation\n"
    "failed; retry re-runs one from its failed step (or failed compensation), keeping what completed";

int list(const Args& args) {
  const auto limit = static_cast<int>(std::min<long long>(args.positive_integer("--limit").value_or(100), 10000));
  const auto store = open_store(database_url(args));
  const auto letters = store->list_dead_letters(limit);
  if (args.has("--json")) {
    JsonArray rows;
    for (const auto& letter : letters) rows.push_back(views::dead_letter_json(letter));
    std::printf("%s\n", to_json_text(rows).c_str());
    return kExitOk;
  }
  if (letters.empty()) {
    std::puts("the dead-letter queue is empty");
    return kExitOk;
  }
  std::printf("%-36s  %-24s %-20s %-8s %s\n", "ID", "WORKFLOW", "STEP", "ATTEMPTS", "ERROR");
  for (const auto& letter : letters) {
    const auto* code = letter.error.is_object() ? letter.error.as_object().if_contains("code") : nullptr;
    const auto* message = letter.error.is_object() ? letter.error.as_object().if_contains("message") : nullptr;
    std::string error = code ? brief(*code) : "";
    if (message) error += ": " + brief(*message, 100);
    std::printf("%-36s  %-24s %-20s %-8d %s\n", letter.summary.id.c_str(), letter.summary.workflow.c_str(),
                letter.step.c_str(), letter.attempts, error.c_str());
  }
  return kExitOk;
}

int retry(const Args& args) {
  if (args.positional().size() != 2) throw UsageError("expected: weft dlq retry EXECUTION_ID");
  const auto& id = args.positional()[1];
  const auto store = open_store(database_url(args));
  const auto result = api::retry_dead_letter(*store, id);
  throw_if_refused(result);
  std::printf("%s\n", result.message.c_str());
  return kExitOk;
}

}  // namespace

int run_dlq(const CommandArgs& raw) {
  const Args args(raw, FlagSpec{{"--db", "--limit"}, {"--json", "--help"}});
  if (args.has("--help")) {
    std::puts(kHelp);
    return kExitOk;
  }
  if (args.positional().empty()) throw UsageError("expected 'list' or 'retry ID'");
  const auto& verb = args.positional()[0];
  if (verb == "list") {
    if (args.positional().size() != 1) throw UsageError("unexpected argument '" + args.positional()[1] + "'");
    return list(args);
  }
  if (verb == "retry") return retry(args);
  throw UsageError("unknown dlq command '" + verb + "' (list, retry)");
}

}  // namespace weft::cli
