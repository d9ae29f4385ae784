#include "routing/router.hpp"

#include "common/diagnostic.hpp"

#include <algorithm>
#include <utility>

namespace weft::routing {
namespace {

/// `file:line:column: workflow "id" on[i]: ` — the location is left out when unknown.
std::string trigger_label(const definitions::Definition& definition, std::size_t trigger_index,
                          const SourceLocation& location) {
  std::string label = "workflow \"" + definition.id + "\" on[" + std::to_string(trigger_index) + "]";
  if (location.file.empty()) return label;
  return Diagnostic{location, label}.to_string();
}

std::string kind_name(const Json& value) {
  switch (value.kind()) {
    case boost::json::kind::null: return "nil";
    case boost::json::kind::bool_: return "a boolean";
    case boost::json::kind::int64:
    case boost::json::kind::uint64:
    case boost::json::kind::double_: return "a number";
    case boost::json::kind::string: return "a string";
    case boost::json::kind::array:
    case boost::json::kind::object: return "a table";
  }
  return "a value";
}

}  // namespace

Router::Router(std::vector<definitions::DefinitionPtr> definitions) {
  definitions.erase(std::remove(definitions.begin(), definitions.end(), nullptr), definitions.end());
  std::stable_sort(definitions.begin(), definitions.end(),
                   [](const auto& a, const auto& b) { return a->id < b->id; });
  definitions_ = std::move(definitions);

  for (std::size_t d = 0; d < definitions_.size(); ++d) {
    const auto& triggers = definitions_[d]->triggers;
    for (std::size_t t = 0; t < triggers.size(); ++t) {
      const std::size_t index = entries_.size();
      entries_.push_back(Entry{d, t, CompiledTrigger(triggers[t])});
      const auto& compiled = entries_.back().compiled;
      for (const auto& problem : compiled.problems()) {
        const auto& location = problem.location.file.empty() ? triggers[t].location : problem.location;
        problems_.push_back(trigger_label(*definitions_[d], t, location) + ": " + problem.message);
      }
      if (compiled.type().any() || compiled.type().has_globs()) scanned_.push_back(index);
      for (const auto& name : compiled.type().exact()) {
        auto& bucket = by_type_[name];
        if (bucket.empty() || bucket.back() != index) bucket.push_back(index);  // `type: [a, a]`
      }
    }
  }
}

std::vector<Match> Router::match(const Event& event, const ConditionEvaluator& evaluate,
                                 std::vector<std::string>* problems) const {
  // Candidates in entry order, which is workflow-id order: the result comes out sorted.
  std::vector<std::size_t> candidates;
  if (const auto it = by_type_.find(event.type); it != by_type_.end()) {
    candidates.reserve(it->second.size() + scanned_.size());
    std::set_union(it->second.begin(), it->second.end(), scanned_.begin(), scanned_.end(),
                   std::back_inserter(candidates));
  } else {
    candidates = scanned_;
  }

  std::vector<Match> matches;
  constexpr std::size_t kNone = static_cast<std::size_t>(-1);
  std::size_t matched_definition = kNone;
  for (const std::size_t index : candidates) {
    const Entry& entry = entries_[index];
    if (entry.definition == matched_definition) continue;  // first matching trigger wins
    if (!entry.compiled.matches(event)) continue;
    if (entry.compiled.has_condition()) {
      const auto& definition = *definitions_[entry.definition];
      const auto& trigger = entry.compiled.trigger();
      const auto deadline = std::chrono::steady_clock::now() + kConditionBudget;
      std::string problem;
      StepOutcome outcome = StepOutcome::success(false);
      try {
        outcome = evaluate(entry.compiled.condition_chunk(), event, deadline);
      } catch (const std::exception& error) {
        // lua::Vm::evaluate does not throw; another evaluator might, and one bad
        // condition must not stop the event from reaching the other workflows.
        outcome = StepOutcome::failure(StepError{"expression", error.what(), false, nullptr});
      }
      if (!outcome.ok()) {
        problem = "`if:` condition failed: " + outcome.error().message;
      } else if (!outcome.output().is_bool()) {
        problem = "`if:` condition gave " + kind_name(outcome.output()) + ", not a boolean";
      }
      if (!problem.empty()) {
        if (problems) {
          const auto& location = trigger.condition->location.file.empty() ? trigger.location
                                                                           : trigger.condition->location;
          problems->push_back(trigger_label(definition, entry.trigger, location) +
                              ": " + problem + " (event " + event.id + ")");
        }
        continue;
      }
      if (!outcome.output().get_bool()) continue;
    }
    matches.push_back(Match{definitions_[entry.definition], entry.trigger});
    matched_definition = entry.definition;
  }
  return matches;
}

}  // namespace weft::routing
