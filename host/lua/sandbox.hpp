// The sandbox scripts and expressions run in, built from allow-lists (data in
// sandbox.cpp) rather than by deleting from a full state: libraries opened one
// by one, shared tables behind read-only proxies, one environment per script.
#pragma once

#include <lua.hpp>

namespace weft::lua {

/// Opens the allowed libraries and builds the read-only globals; once per state. [-0, +0]
void open_sandbox(lua_State* L);

/// Pops the value at the top into the read-only globals as `name`. [-1, +0]
void set_sandbox_global(lua_State* L, const char* name);

/// Pushes a fresh environment: reads fall back to the read-only globals, writes
/// stay in it, and `_G` is the environment itself. [-0, +1]
void push_environment(lua_State* L);

/// Replaces the table at the top by a read-only proxy; writes raise an error naming `name`.
/// LuaJIT has no read-only tables, and a proxy is userdata so rawset and the
/// table library cannot write to it either. [-1, +1]
void make_read_only(lua_State* L, const char* name);

}  // namespace weft::lua
