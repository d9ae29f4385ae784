#include "api/control.hpp"

#include "definitions/loader.hpp"

#include <algorithm>

namespace weft::api {
namespace {

using Refusal = ControlResult::Refusal;

ControlResult refused(Refusal refusal, std::string message, std::string status = {}) {
  return ControlResult{refusal, std::move(message), std::move(status)};
}

std::string no_such(const std::string& id) { return "no execution with id '" + id + "'"; }

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

ControlResult signal_execution(store::Store& store, const std::string& execution_id, const std::string& name,
                               const Json& data) {
  const auto target = store.signal_target(execution_id);
  if (!target) return refused(Refusal::NotFound, no_such(execution_id));
  if (target->finished)
    return refused(Refusal::Conflict,
                   "execution " + execution_id + " already finished (" + target->status + "); signal not delivered",
                   target->status);
  const auto names = awaited_signals(store, *target);
  if (std::find(names.begin(), names.end(), name) == names.end()) {
    std::string known;
    for (const auto& candidate : names) known += (known.empty() ? "" : ", ") + candidate;
    return refused(Refusal::Invalid,
                   "workflow '" + target->workflow + "' waits for no signal '" + name + "'" +
                       (known.empty() ? std::string(" (it has no wait steps)") : " (it waits for: " + known + ")"),
                   target->status);
  }
  if (!store.deliver_signal(execution_id, name, data))
    return refused(Refusal::Conflict,
                   "execution " + execution_id + " finished before the signal arrived; signal not delivered");
  return ControlResult{Refusal::None, "signal " + name + " delivered to " + execution_id, target->status};
}

ControlResult cancel_execution(store::Store& store, const std::string& execution_id) {
  std::string status;
  switch (store.request_cancel(execution_id, status)) {
    case store::Refusal::None:
      return ControlResult{Refusal::None, "cancel requested for " + execution_id, status};
    case store::Refusal::NotFound: return refused(Refusal::NotFound, no_such(execution_id));
    case store::Refusal::Finished:
      return refused(Refusal::Conflict,
                     "execution " + execution_id + " already finished (" + status + "); nothing to cancel", status);
    case store::Refusal::AlreadyRequested:
      return refused(Refusal::Conflict,
                     "a cancel of execution " + execution_id + " was already requested (status " + status + ")",
                     status);
    default: break;
  }
  return refused(Refusal::Conflict, "cannot cancel execution " + execution_id, status);
}

ControlResult retry_dead_letter(store::Store& store, const std::string& execution_id) {
  switch (store.retry_dead_letter(execution_id)) {
    case store::Refusal::None: return ControlResult{Refusal::None, "retrying " + execution_id, {}};
    case store::Refusal::NotFound: return refused(Refusal::NotFound, no_such(execution_id));
    default:
      return refused(Refusal::Conflict, "execution " + execution_id +
                                            " is not in the dead-letter queue (only failed executions are)");
  }
}

}  // namespace weft::api
