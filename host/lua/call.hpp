// Protected calls into Lua: every call gets a traceback message handler and a
// count hook that enforces a deadline, a cancel flag and a memory limit.
#pragma once

#include "lua/vm.hpp"

#include <lua.hpp>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>

namespace weft::lua {

/// Why the hook (or the allocator) stopped a call.
enum class Abort : std::uint8_t { None, Timeout, Memory, Cancelled };

struct CallLimits {
  Deadline deadline = Deadline::max();
  const std::atomic<bool>* cancelled = nullptr;  // may be null
  std::size_t memory_limit_bytes = 0;            // 0: the state's default
};

/// The call in progress; the hook, the message handler and capped C functions read it.
struct ActiveCall {
  CallLimits limits;
  std::size_t memory_limit = 0;  // bytes the call may add to the state
  std::size_t soft_cap = 0;      // state size at which the hook collects garbage, then aborts
  Abort abort = Abort::None;
  std::string traceback;  // of the last string error that reached the message handler
};

struct CallResult {
  int status = 0;  // 0, or the lua_pcall error status
  Abort abort = Abort::None;
  std::string traceback;
  bool ok() const { return status == 0 && abort == Abort::None; }
};

/// Calls the function below `nargs` arguments under `limits`; never raises.
/// Stack: [fn, args...] -> [results...] (`nresults`) on success, [error] on failure.
CallResult protected_call(lua_State* L, int nargs, int nresults, const CallLimits& limits);

/// The value the hook raises. Scripts cannot make an equal value, and the
/// sandbox's pcall/xpcall/coroutine.resume pass it on instead of catching it.
void push_abort_marker(lua_State* L);

/// The memory a capped C function (string.rep) may still produce in the current call.
std::size_t current_memory_limit(lua_State* L);

}  // namespace weft::lua
