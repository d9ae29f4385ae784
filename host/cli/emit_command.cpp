#include "cli/args.hpp"
#include "cli/cli.hpp"
#include "cli/commands.hpp"
#include "cli/database.hpp"
#include "common/ids.hpp"
#include "routing/event.hpp"

#include <cstdio>
#include <algorithm>
#include <iostream>

namespace weft::cli {
namespace {

constexpr const char* kHelp =
    "usage: weft emit --type T [--data JSON] [--id ID] [--source S] [--db URL]\n"
    "       weft emit < events.jsonl      (one complete CloudEvent 1.0 JSON object per line:\n"
    "                                      specversion, id, source and type required)\n"
    "stores each event durably, then prints its id and trace id";

// The CLI is the producer here: it gives the id (a new UUID unless --id), the source
// ("weft" unless --source) and the specversion; data only when --data is given.
std::vector<routing::Event> events_from_flags(const Args& args) {
  JsonObject document{{"specversion", "1.0"},
                      {"id", args.value("--id").value_or(new_uuid())},
                      {"source", args.value("--source").value_or("weft")},
                      {"type", *args.value("--type")}};
  if (const auto data = args.value("--data")) {
    std::string error;
    auto parsed = parse_json(*data, &error);
    if (!parsed) throw UsageError("--data: " + error);
    document["data"] = std::move(*parsed);
  }
  auto result = routing::parse_event(document);
  if (!result.event) throw UsageError(result.error);
  return {std::move(*result.event)};
}

// Each line is a complete CloudEvent, checked as every intake checks it (parse_event).
// All lines are checked before any is stored: a bad line changes nothing.
std::vector<routing::Event> events_from_stdin() {
  std::vector<routing::Event> events;
  std::vector<std::string> errors;
  std::string line;
  for (int number = 1; std::getline(std::cin, line); ++number) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    auto result = routing::parse_event_text(line);
    if (result.event) {
      events.push_back(std::move(*result.event));
    } else {
      errors.push_back("stdin:" + std::to_string(number) + ": " + result.error);
    }
  }
  if (!errors.empty()) {
    for (std::size_t i = 0; i + 1 < errors.size(); ++i) std::fprintf(stderr, "%s\n", errors[i].c_str());
    throw UsageError(errors.back() + " (no event was stored)");
  }
  if (events.empty()) throw UsageError("no events on stdin (or pass --type)");
  return events;
}

}  // namespace

int run_emit(const CommandArgs& raw) {
  const Args args(raw, FlagSpec{{"--type", "--data", "--id", "--source", "--db"}, {"--help"}});
  if (args.has("--help")) {
    std::puts(kHelp);
    return kExitOk;
  }
  if (!args.positional().empty()) throw UsageError("unexpected argument '" + args.positional()[0] + "'");
  if (!args.has("--type") && (args.has("--data") || args.has("--id") || args.has("--source")))
    throw UsageError("--data, --id and --source need --type");
  const auto events = args.has("--type") ? events_from_flags(args) : events_from_stdin();

  const auto store = open_store(database_url(args));
  // Batches keep a large stdin stream to one commit per kBatch events; each
  // batch is durable before its lines are acknowledged on stdout.
  constexpr std::size_t kBatch = 500;
  for (std::size_t first = 0; first < events.size(); first += kBatch) {
    const auto last = std::min(events.size(), first + kBatch);
    std::vector<store::EventRecord> records;
    for (std::size_t i = first; i < last; ++i) {
      const auto& event = events[i];
      records.push_back({event.source, event.id, event.type, event.trace_id, event.document});
    }
    std::vector<bool> stored;
    try {
      stored = store->insert_events(records);
    } catch (const store::StoreError& error) {
      // Earlier batches are durable: say how far the stream got.
      throw RuntimeError(std::string(error.what()) + " (" + std::to_string(first) +
                         " event(s) before this batch were stored)");
    }
    for (std::size_t i = first; i < last; ++i) {
      const auto& event = events[i];
      std::printf("%s %s/%s trace %s\n", stored[i - first] ? "accepted" : "duplicate",
                  event.source.c_str(), event.id.c_str(), event.trace_id.c_str());
    }
  }
  return kExitOk;
}

}  // namespace weft::cli
