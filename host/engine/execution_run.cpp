#include "engine/execution_run.hpp"

#include <map>

namespace weft::engine {

const char* phase_status(StepPhase phase) {
  switch (phase) {
    case StepPhase::Blocked: return "pending";
    case StepPhase::Running: return store::step_status::kRunning;
    case StepPhase::Retrying: return store::step_status::kRetrying;
    case StepPhase::Completed: return store::step_status::kCompleted;
    case StepPhase::Skipped: return store::step_status::kSkipped;
    case StepPhase::Failed: return store::step_status::kFailed;
  }
  return "pending";
}

namespace {

StepPhase phase_of(const std::string& status) {
  if (status == store::step_status::kCompleted) return StepPhase::Completed;
  if (status == store::step_status::kSkipped) return StepPhase::Skipped;
  if (status == store::step_status::kFailed) return StepPhase::Failed;
  if (status == store::step_status::kRetrying) return StepPhase::Retrying;
  if (status == store::step_status::kRunning) return StepPhase::Running;
  return StepPhase::Blocked;
}

bool is_done(StepPhase phase) { return phase == StepPhase::Completed || phase == StepPhase::Skipped; }

}  // namespace

ExecutionRun::ExecutionRun(store::ClaimedExecution record, definitions::DefinitionPtr definition,
                           const std::string& host_id)
    : record_(std::move(record)), definition_(std::move(definition)) {
  lease_ = store::Lease{record_.id, host_id, record_.fence};
  if (record_.deadline_at) {
    // Converted once from the database clock, so host clock skew cannot move it.
    deadline_ = std::chrono::steady_clock::now() +
                std::chrono::milliseconds(*record_.deadline_at - record_.db_now);
  }
  std::map<std::string, std::size_t> index;
  for (const auto& step : definition_->steps) {
    index[step.id] = steps_.size();
    StepSlot slot;
    slot.definition = &step;
    steps_.push_back(std::move(slot));
  }
  for (auto& slot : steps_) {
    for (const auto& dependency : slot.definition->after) slot.dependencies.push_back(index.at(dependency));
  }
  for (const auto& stored : record_.steps) {
    const auto it = index.find(stored.step_id);
    if (it == index.end()) continue;  // cannot happen for a pinned version; ignore rather than crash
    auto& slot = steps_[it->second];
    slot.phase = phase_of(stored.status);
    slot.attempts = stored.attempts;
    slot.input = stored.input;
    slot.output = stored.output;
    slot.error = stored.error;
    slot.next_attempt_at = stored.next_attempt_at;
    slot.interrupted = slot.phase == StepPhase::Running;
  }
}

std::vector<std::size_t> ExecutionRun::ready_steps() const {
  std::vector<std::size_t> ready;
  for (std::size_t i = 0; i < steps_.size(); ++i) {
    if (steps_[i].phase != StepPhase::Blocked) continue;
    bool satisfied = true;
    for (const auto dependency : steps_[i].dependencies) satisfied = satisfied && is_done(steps_[dependency].phase);
    if (satisfied) ready.push_back(i);
  }
  return ready;
}

bool ExecutionRun::all_done() const {
  for (const auto& slot : steps_) {
    if (!is_done(slot.phase)) return false;
  }
  return true;
}

int ExecutionRun::running_count() const {
  int running = 0;
  for (const auto& slot : steps_) running += slot.phase == StepPhase::Running ? 1 : 0;
  return running;
}

store::StepState ExecutionRun::state_of(std::size_t index) const {
  const auto& slot = steps_[index];
  store::StepState state;
  state.step_id = slot.definition->id;
  state.status = phase_status(slot.phase);
  state.attempts = slot.attempts;
  state.input = slot.input;
  state.output = slot.output;
  state.error = slot.error;
  return state;
}

Json ExecutionRun::steps_scope() const {
  JsonObject scope;
  for (const auto& slot : steps_) {
    scope[slot.definition->id] =
        JsonObject{{"output", slot.output}, {"status", phase_status(slot.phase)}};
  }
  return scope;
}

Json ExecutionRun::execution_scope() const {
  return JsonObject{{"id", record_.id},
                    {"trace_id", record_.trace_id},
                    {"workflow", record_.workflow},
                    {"version", record_.version}};
}

Json ExecutionRun::final_output() const {
  for (auto it = steps_.rbegin(); it != steps_.rend(); ++it) {
    if (it->phase == StepPhase::Completed) return it->output;
  }
  return nullptr;
}

}  // namespace weft::engine
