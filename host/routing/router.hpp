// Which workflows an event starts: every definition's `on:` triggers, compiled
// once and indexed by event type, matched against each incoming event. A Router
// is immutable and safe to share between threads; hot reload builds a new one
// and swaps a RouterPtr.
#pragma once

#include "common/outcome.hpp"
#include "definitions/definition.hpp"
#include "lua/vm.hpp"
#include "routing/event.hpp"
#include "routing/filter.hpp"

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace weft::routing {

/// Time one `if:` condition may run before it counts as failed (and so as a non-match).
inline constexpr std::chrono::milliseconds kConditionBudget{100};

/// A workflow an event starts, and which of its triggers (index into `definition->triggers`) matched.
struct Match {
  definitions::DefinitionPtr definition;
  std::size_t trigger_index = 0;
};

/// Evaluates an `if:` chunk (`return (<expr>\n)`) with `event` in scope, within `deadline`.
/// lua::Vm::evaluate in production; tests and tools may decide conditions without Lua.
/// An exception it throws counts as a failed condition.
using ConditionEvaluator =
    std::function<StepOutcome(std::string_view chunk, const Event& event, lua::Deadline deadline)>;

class Router {
 public:
  /// Compiles every trigger of `definitions` (null pointers are dropped). The
  /// definitions are kept, sorted by id, for as long as the Router lives.
  explicit Router(std::vector<definitions::DefinitionPtr> definitions);

  /// Every workflow with a trigger that matches `event`: at most one Match per
  /// workflow (its first matching trigger), ordered by workflow id. A trigger
  /// matches when its type, source and `where` clauses hold (see filter.hpp) and
  /// then its `if:` condition, run in `vm` with `event` in scope, yields `true`.
  /// A condition that errors, overruns kConditionBudget or yields anything but a
  /// boolean is a non-match and adds one line to `problems` naming the workflow
  /// and the trigger's location. Definitions without `on:` never match.
  std::vector<Match> match(const Event& event, lua::Vm& vm,
                           std::vector<std::string>* problems = nullptr) const;

  /// As above, with `if:` conditions decided by `evaluate`.
  std::vector<Match> match(const Event& event, const ConditionEvaluator& evaluate,
                           std::vector<std::string>* problems = nullptr) const;

  /// The definitions routed, sorted by id.
  const std::vector<definitions::DefinitionPtr>& definitions() const { return definitions_; }

  /// Found while compiling: triggers with a `where` condition that can never hold
  /// (a regex that does not compile, ...). One line each, naming the workflow.
  const std::vector<std::string>& problems() const { return problems_; }

 private:
  struct Entry {
    std::size_t definition;  // index into definitions_
    std::size_t trigger;     // index into that definition's triggers
    CompiledTrigger compiled;
  };

  std::vector<definitions::DefinitionPtr> definitions_;
  std::vector<Entry> entries_;  // in definition order, then trigger order
  // Entry indices, ascending. A trigger is found through the exact names of its
  // type; one whose type has a glob (or no type) is in scanned_ and tried for every event.
  std::unordered_map<std::string, std::vector<std::size_t>> by_type_;
  std::vector<std::size_t> scanned_;
  std::vector<std::string> problems_;
};

using RouterPtr = std::shared_ptr<const Router>;

// Inline so that code which never evaluates conditions in Lua (the Lua-free
// overload's users) does not have to link the VM.
inline std::vector<Match> Router::match(const Event& event, lua::Vm& vm,
                                        std::vector<std::string>* problems) const {
  return match(
      event,
      [&vm](std::string_view chunk, const Event& scoped, lua::Deadline deadline) {
        return vm.evaluate(chunk, lua::Scope{.event = &scoped.document}, deadline);
      },
      problems);
}

}  // namespace weft::routing
