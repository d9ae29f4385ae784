// The boundary every C++ function callable from Lua goes through: a C++
// exception must never unwind through Lua frames, so it becomes a Lua error.
#pragma once

#include <lua.hpp>

#include <cstdio>
#include <exception>

namespace weft::lua {

/// Wraps `F` as a lua_CFunction that turns std::exception into lua_error.
/// Only std::exception is caught: LuaJIT raises its own errors as foreign
/// exceptions on x64, and those must keep unwinding to the protected call.
template <lua_CFunction F>
int lua_thunk(lua_State* L) {
  char message[512];
  try {
    return F(L);
  } catch (const std::exception& error) {
    std::snprintf(message, sizeof message, "%s", error.what());
  }
  // Raised outside the catch block so the C++ exception is fully finished first.
  return luaL_error(L, "%s", message);
}

}  // namespace weft::lua
