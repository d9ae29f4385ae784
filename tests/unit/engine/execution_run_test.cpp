#include "engine/execution_run.hpp"

#include <catch2/catch.hpp>

#include <memory>

using weft::engine::ExecutionRun;
using weft::engine::StepPhase;

namespace {

std::shared_ptr<weft::definitions::Definition> diamond() {
  auto definition = std::make_shared<weft::definitions::Definition>();
  definition->id = "diamond";
  definition->version = "1";
  for (const auto* id : {"a", "b", "c", "d"}) {
    weft::definitions::Step step;
    step.id = id;
    definition->steps.push_back(step);
  }
  definition->steps[1].after = {"a"};
  definition->steps[2].after = {"a"};
  definition->steps[3].after = {"b", "c"};
  return definition;
}

weft::store::ClaimedExecution record(std::vector<weft::store::StepState> steps = {}) {
  weft::store::ClaimedExecution execution;
  execution.id = "e-1";
  execution.workflow = "diamond";
  execution.version = "1";
  execution.fence = 7;
  execution.steps = std::move(steps);
  return execution;
}

std::vector<std::string> ids_of(ExecutionRun& run, const std::vector<std::size_t>& indexes) {
  std::vector<std::string> ids;
  for (const auto index : indexes) ids.push_back(run.steps()[index].definition->id);
  return ids;
}

}  // namespace

TEST_CASE("steps become ready when all their dependencies are done", "[engine]") {
  ExecutionRun run(record(), diamond(), "host-1");
  CHECK(run.lease().fence == 7);
  CHECK(ids_of(run, run.ready_steps()) == std::vector<std::string>{"a"});
  run.steps()[0].forward.phase = StepPhase::Completed;
  CHECK(ids_of(run, run.ready_steps()) == std::vector<std::string>{"b", "c"});
  run.steps()[1].forward.phase = StepPhase::Completed;
  run.steps()[2].forward.phase = StepPhase::Running;
  CHECK(run.ready_steps().empty());
  run.steps()[2].forward.phase = StepPhase::Skipped;  // a skipped dependency counts as done
  CHECK(ids_of(run, run.ready_steps()) == std::vector<std::string>{"d"});
  CHECK_FALSE(run.all_done());
  run.steps()[3].forward.phase = StepPhase::Completed;
  run.steps()[3].forward.output = weft::Json(42);
  CHECK(run.all_done());
  CHECK(run.final_output() == weft::Json(42));
}

TEST_CASE("stored step states are restored on claim", "[engine]") {
  weft::store::StepState a{"a", "completed", 1, nullptr, weft::Json("out-a"), nullptr, {}, {}, {}, 9, 0};
  weft::store::StepState b{"b", "running", 2, nullptr, nullptr, nullptr, {}, {}, {}, {}, 0};
  weft::store::StepState c{"c", "retrying", 1, nullptr, nullptr, nullptr, 123456, {}, {}, {}, 0};
  ExecutionRun run(record({a, b, c}), diamond(), "host-2");
  CHECK(run.steps()[0].forward.phase == StepPhase::Completed);
  CHECK(run.steps()[0].forward.output == weft::Json("out-a"));
  CHECK(run.steps()[1].forward.interrupted);  // was running when its host was lost
  CHECK(run.steps()[1].forward.attempts == 2);
  CHECK(run.steps()[2].forward.phase == StepPhase::Retrying);
  CHECK(run.steps()[2].forward.next_attempt_at == 123456);
  CHECK(run.ready_steps().empty());
  const auto scope = run.steps_scope();
  CHECK(scope.at("a").at("status").as_string() == "completed");
  CHECK(scope.at("d").at("status").as_string() == "pending");
}
