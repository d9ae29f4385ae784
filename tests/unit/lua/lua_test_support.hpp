// Helpers for the lua suite: one-line step runs and JSON literals.
#pragma once

#include "common/json.hpp"
#include "lua/vm.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <string_view>

namespace weft::lua::test {

inline Json json(std::string_view text) {
  auto value = parse_json(text);
  REQUIRE(value.has_value());
  return *value;
}

inline Deadline in(std::chrono::milliseconds duration) {
  return std::chrono::steady_clock::now() + duration;
}

/// Runs `source` (a script returning function(ctx, input)) as step "test" of workflow "wf".
inline StepOutcome run(Vm& vm, std::string_view source, const Json& input = nullptr,
                       Deadline deadline = Deadline::max()) {
  StepCall call;
  call.script_source = source;
  call.chunk_name = "wf/steps/test.lua";
  call.input = &input;
  call.identity.step = "test";
  call.deadline = deadline;
  return vm.run_step(call);
}

/// Runs `body` as the body of the step function.
inline StepOutcome run_body(Vm& vm, const std::string& body, const Json& input = nullptr) {
  return run(vm, "return function(ctx, input)\n" + body + "\nend", input);
}

}  // namespace weft::lua::test
