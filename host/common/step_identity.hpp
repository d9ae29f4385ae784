// Which attempt of which step is running: what a step sees of itself as `ctx`,
// the same for Lua steps and C++ plugin actions (section 6).
#pragma once

#include <string>

namespace weft {

struct StepIdentity {
  std::string execution_id;
  std::string workflow;
  std::string version;
  std::string step;
  int attempt = 1;
  std::string trace_id;
  std::string idempotency_key;  // stable per execution and step, for external calls
};

}  // namespace weft
