#include "lua/call.hpp"

#include "lua/state.hpp"

#include <chrono>
#include <exception>
#include <limits>

namespace weft::lua {
namespace {

// Often enough to stop a tight loop within a millisecond or so, rarely enough
// that reading the clock stays invisible in a profile.
constexpr int kHookInstructions = 1000;

const char kAbortMarker = 0;

std::size_t saturating_add(std::size_t a, std::size_t b) {
  const std::size_t max = std::numeric_limits<std::size_t>::max();
  return a > max - b ? max : a + b;
}

Abort check_limits(lua_State* L, LuaState& state, const ActiveCall& call) {
  if (state.take_allocation_refused()) return Abort::Memory;
  if (call.limits.cancelled != nullptr && call.limits.cancelled->load(std::memory_order_relaxed))
    return Abort::Cancelled;
  if (call.limits.deadline != Deadline::max() &&
      std::chrono::steady_clock::now() >= call.limits.deadline)
    return Abort::Timeout;
  if (state.bytes_in_use() > call.soft_cap) {
    // Garbage counts as well until it is collected; only live data is over the limit.
    lua_gc(L, LUA_GCCOLLECT, 0);
    if (state.bytes_in_use() > call.soft_cap) return Abort::Memory;
  }
  return Abort::None;
}

// Not noexcept: lua_error unwinds through it.
void count_hook(lua_State* L, lua_Debug*) {
  auto& state = LuaState::from(L);
  ActiveCall* call = state.active_call();
  if (call == nullptr) return;
  if (call->abort == Abort::None) {
    call->abort = check_limits(L, state, *call);
    if (call->abort == Abort::None) return;
    // From now on every instruction raises again, so a script that catches
    // the marker somehow cannot keep running for long.
    lua_sethook(L, count_hook, LUA_MASKCOUNT, 1);
  }
  push_abort_marker(L);
  lua_error(L);
}

// Tables (weft.fail, error{code=...}) and the abort marker pass unchanged; for
// anything else the traceback is kept on the side and the message stays as it is.
int l_call_message_handler(lua_State* L) {
  if (lua_istable(L, 1) || lua_islightuserdata(L, 1)) return 1;
  ActiveCall* call = LuaState::from(L).active_call();
  if (call == nullptr) return 1;
  luaL_traceback(L, L, nullptr, 1);  // [error, traceback]
  std::size_t length = 0;
  const char* text = lua_tolstring(L, -1, &length);
  try {
    call->traceback.assign(text, length);
  } catch (const std::exception&) {
    // Without memory for the traceback the message still gets through.
  }
  lua_pop(L, 1);  // [error]
  return 1;
}

}  // namespace

void push_abort_marker(lua_State* L) {
  lua_pushlightuserdata(L, const_cast<char*>(&kAbortMarker));
}

std::size_t current_memory_limit(lua_State* L) {
  auto& state = LuaState::from(L);
  const ActiveCall* call = state.active_call();
  return call != nullptr ? call->memory_limit : state.default_memory_limit();
}

CallResult protected_call(lua_State* L, int nargs, int nresults, const CallLimits& limits) {
  auto& state = LuaState::from(L);
  CallResult result;
  ActiveCall call;
  call.limits = limits;
  call.memory_limit =
      limits.memory_limit_bytes != 0 ? limits.memory_limit_bytes : state.default_memory_limit();

  // [fn, args...] -> [handler, fn, args...]; pushed before the cap applies.
  const int handler = lua_gettop(L) - nargs;
  lua_pushcfunction(L, l_call_message_handler);
  lua_insert(L, handler);

  ActiveCall* const outer = state.active_call();
  const std::size_t baseline = state.bytes_in_use();
  call.soft_cap = saturating_add(baseline, call.memory_limit);
  state.set_active_call(&call);
  state.take_allocation_refused();
  // The hard cap leaves room for garbage the next hook collects; it exists for
  // single C calls that allocate far more than the limit at once.
  state.set_allocation_cap(saturating_add(call.soft_cap, call.memory_limit));
  lua_sethook(L, count_hook, LUA_MASKCOUNT, kHookInstructions);

  result.status = lua_pcall(L, nargs, nresults, handler);  // [handler, results...] or [handler, error]

  state.lift_allocation_cap();
  const bool refused = state.take_allocation_refused();
  state.set_active_call(outer);
  if (outer != nullptr) {
    lua_sethook(L, count_hook, LUA_MASKCOUNT, kHookInstructions);
  } else {
    lua_sethook(L, nullptr, 0, 0);
  }
  lua_remove(L, handler);

  if (result.status != 0 && call.abort == Abort::None && (refused || result.status == LUA_ERRMEM))
    call.abort = Abort::Memory;
  if (call.abort == Abort::Memory) lua_gc(L, LUA_GCCOLLECT, 0);
  result.abort = call.abort;
  result.traceback = std::move(call.traceback);
  return result;
}

}  // namespace weft::lua
