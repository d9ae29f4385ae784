// One sandboxed LuaJIT state per worker thread (never shared, no global lock).
// It evaluates `${ }` templates and conditions, and runs Lua step scripts
// under a deadline and a memory limit. Everything that goes
// wrong inside comes back as a value (StepOutcome), never as an exception.
#pragma once

#include "common/json.hpp"
#include "common/step_identity.hpp"
#include "common/outcome.hpp"
#include "lua/database.hpp"

#include <atomic>
#include <chrono>
#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace weft::lua {

using Deadline = std::chrono::steady_clock::time_point;

struct VmOptions {
  /// Root for `require`: module `a.b` is `<modules_root>/a/b.lua`. Empty disables require.
  std::filesystem::path modules_root;
  /// Default memory a single evaluation or step may add to the state.
  std::size_t memory_limit_bytes = 64u << 20;
};

/// What `${ }` expressions see: `event`, `input`, `steps`, `execution`. Null pointers read as nil.
struct Scope {
  const Json* event = nullptr;
  const Json* input = nullptr;
  const Json* steps = nullptr;      // { <step id> = { output = ..., status = ... } }
  const Json* execution = nullptr;  // { id, trace_id, workflow, version }
};

/// Everything a Lua step receives as `ctx`, plus its limits.
struct StepCall {
  std::string_view script_source;  // the step script: returns function(ctx, input)
  std::string_view chunk_name;     // shown in errors, e.g. "order-fulfilment/steps/reserve.lua"
  const Json* input = nullptr;     // the step's input (the function's 2nd argument)

  StepIdentity identity;                  // ctx.execution_id, ctx.workflow, ctx.step, ...
  const Json* event = nullptr;            // ctx.event
  const Json* execution_input = nullptr;  // ctx.input
  const Json* steps = nullptr;            // ctx.steps

  Deadline deadline = Deadline::max();
  std::chrono::milliseconds timeout{0};     // the step's timeout, for the error message; 0: from the deadline
  std::size_t memory_limit_bytes = 0;       // 0: the VM default
  const std::atomic<bool>* cancelled = nullptr;  // checked with the deadline; may be null
  Database* db = nullptr;
  /// Where ctx.emit(type, data) puts follow-up events ({type, data} objects); null: ctx.emit raises.
  /// The engine stores them with the step's checkpoint, so they exist only if the step commits.
  std::vector<Json>* outbox = nullptr;
  /// ctx.lock: { key, token } of the named lock the step holds, or null.
  const Json* lock = nullptr;  // ctx.db for a transactional step; null: ctx.db is nil
};

class Vm {
 public:
  /// Throws std::runtime_error when LuaJIT cannot create a state (start-up, not step, time).
  explicit Vm(VmOptions options = {});
  ~Vm();
  Vm(const Vm&) = delete;
  Vm& operator=(const Vm&) = delete;

  /// Runs `chunk` (a template's `return <value>` or `return (<expr>)`) with the scope
  /// as its environment. Compiled chunks are cached by text. Errors: code "expression".
  StepOutcome evaluate(std::string_view chunk, const Scope& scope,
                       Deadline deadline = Deadline::max());

  /// Runs one attempt of a Lua step. The compiled script is cached by its source.
  /// Failure codes: "error" (retryable Lua error), the weft.fail code (not retryable),
  /// a table error's code, "timeout", "memory_limit", "cancelled", "invalid_script".
  StepOutcome run_step(const StepCall& call);

  /// Bytes currently used by the Lua state (for metrics and tests).
  std::size_t memory_in_use() const;

  /// Values on the Lua stack between calls; always 0 unless a call leaked some.
  int stack_depth_for_test() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace weft::lua
