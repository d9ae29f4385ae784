#include "engine/execution_run.hpp"

#include <algorithm>
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
  if (status == store::step_status::kCompleted || status == store::step_status::kCompensated ||
      status == store::step_status::kCompensating)
    return StepPhase::Completed;
  if (status == store::step_status::kSkipped) return StepPhase::Skipped;
  if (status == store::step_status::kFailed) return StepPhase::Failed;
  if (status == store::step_status::kRetrying) return StepPhase::Retrying;
  if (status == store::step_status::kRunning) return StepPhase::Running;
  return StepPhase::Blocked;
}

void restore(ActionState& state, const store::StepState& stored, StepPhase phase) {
  state.phase = phase;
  state.attempts = stored.attempts;
  state.attempt_base = stored.attempt_base;
  state.input = stored.input;
  state.output = stored.output;
  state.error = stored.error;
  state.next_attempt_at = stored.next_attempt_at;
  state.interrupted = phase == StepPhase::Running;
}

bool is_done(StepPhase phase) { return phase == StepPhase::Completed || phase == StepPhase::Skipped; }

store::StepState row_of(const std::string& id, const char* status, const ActionState& state) {
  store::StepState row;
  row.step_id = id;
  row.status = status;
  row.attempts = state.attempts;
  row.attempt_base = state.attempt_base;
  row.input = state.input;
  row.output = state.output;
  row.error = state.error;
  return row;
}

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
  compensating = record_.status == store::execution_status::kCompensating;
  cancelled = record_.cancel_requested;
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
    restore(slot.forward, stored, phase_of(stored.status));
    if (slot.definition->kind != definitions::StepKind::Action && slot.forward.phase == StepPhase::Running) {
      // A wait or sleep has no attempt in flight: it is waiting, not interrupted.
      slot.forward.interrupted = false;
      const auto due = stored.next_attempt_at.value_or(record_.db_now);
      slot.forward.wake_at = std::chrono::steady_clock::now() + std::chrono::milliseconds(due - record_.db_now);
    }
    slot.done_order = stored.done_seq;
    if (stored.done_seq) completion_counter_ = std::max(completion_counter_, *stored.done_seq);
  }
  for (const auto& stored : record_.compensations) {
    const auto it = index.find(stored.step_id);
    if (it == index.end()) continue;
    const auto phase = stored.status == store::step_status::kCompensated ? StepPhase::Completed
                                                                          : phase_of(stored.status);
    restore(steps_[it->second].compensation, stored, phase);
  }
}

const definitions::Action& ExecutionRun::action(AttemptTarget target) const {
  const auto& step = *steps_[target.index].definition;
  return target.compensation ? *step.compensate : step.action;
}

std::string ExecutionRun::attempt_id(AttemptTarget target) const {
  const auto& id = steps_[target.index].definition->id;
  return target.compensation ? store::kCompensationPrefix + id : id;
}

std::vector<std::size_t> ExecutionRun::ready_steps() const {
  std::vector<std::size_t> ready;
  for (std::size_t i = 0; i < steps_.size(); ++i) {
    if (steps_[i].forward.phase != StepPhase::Blocked) continue;
    bool satisfied = true;
    for (const auto dependency : steps_[i].dependencies)
      satisfied = satisfied && is_done(steps_[dependency].forward.phase);
    if (satisfied) ready.push_back(i);
  }
  return ready;
}

bool ExecutionRun::all_done() const {
  return std::all_of(steps_.begin(), steps_.end(), [](const auto& slot) { return is_done(slot.forward.phase); });
}

int ExecutionRun::running_count() const {
  int running = 0;
  for (std::size_t i = 0; i < steps_.size(); ++i) {
    running += steps_[i].forward.phase == StepPhase::Running && !is_waiting(i) ? 1 : 0;
    running += steps_[i].compensation.phase == StepPhase::Running ? 1 : 0;
  }
  return running;
}

bool ExecutionRun::is_waiting(std::size_t index) const {
  const auto& slot = steps_[index];
  return slot.definition->kind != definitions::StepKind::Action && slot.forward.phase == StepPhase::Running;
}

bool ExecutionRun::any_waiting() const {
  for (std::size_t i = 0; i < steps_.size(); ++i) {
    if (is_waiting(i)) return true;
  }
  return false;
}

bool ExecutionRun::any_retrying() const {
  return std::any_of(steps_.begin(), steps_.end(), [](const auto& slot) {
    return slot.forward.phase == StepPhase::Retrying || slot.compensation.phase == StepPhase::Retrying;
  });
}

std::optional<std::size_t> ExecutionRun::next_compensation() const {
  std::optional<std::size_t> next;
  for (std::size_t i = 0; i < steps_.size(); ++i) {
    const auto& slot = steps_[i];
    if (!slot.definition->compensate || slot.forward.phase != StepPhase::Completed) continue;
    if (slot.compensation.phase == StepPhase::Completed) continue;
    if (!next || slot.done_order.value_or(0) > steps_[*next].done_order.value_or(0)) next = i;
  }
  return next;
}

void ExecutionRun::mark_completed(std::size_t index) { steps_[index].done_order = ++completion_counter_; }

const char* ExecutionRun::status_of(std::size_t index) const {
  const auto& slot = steps_[index];
  if (slot.forward.phase == StepPhase::Completed && slot.compensation.phase != StepPhase::Blocked) {
    return slot.compensation.phase == StepPhase::Completed ? store::step_status::kCompensated
                                                           : store::step_status::kCompensating;
  }
  return phase_status(slot.forward.phase);
}

store::StepState ExecutionRun::state_of(std::size_t index) const {
  return row_of(steps_[index].definition->id, status_of(index), steps_[index].forward);
}

store::StepState ExecutionRun::compensation_state_of(std::size_t index) const {
  const auto& slot = steps_[index];
  const char* status = slot.compensation.phase == StepPhase::Completed
                           ? store::step_status::kCompensated
                           : phase_status(slot.compensation.phase);
  return row_of(slot.definition->id, status, slot.compensation);
}

Json ExecutionRun::steps_scope() const {
  JsonObject scope;
  for (std::size_t i = 0; i < steps_.size(); ++i) {
    const auto& slot = steps_[i];
    scope[slot.definition->id] = JsonObject{{"output", slot.forward.output}, {"status", status_of(i)}};
  }
  return scope;
}

const Json& ExecutionRun::event() const {
  static const Json none;
  return record_.event ? *record_.event : none;
}

Json ExecutionRun::execution_scope() const {
  return JsonObject{{"id", record_.id},
                    {"trace_id", record_.trace_id},
                    {"workflow", record_.workflow},
                    {"version", record_.version}};
}

Json ExecutionRun::final_output() const {
  for (auto it = steps_.rbegin(); it != steps_.rend(); ++it) {
    if (it->forward.phase == StepPhase::Completed) return it->forward.output;
  }
  return nullptr;
}

}  // namespace weft::engine
