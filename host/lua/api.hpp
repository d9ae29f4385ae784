// What scripts get from weft besides the standard libraries: the `weft` table
// (api_weft.cpp), `ctx`, ctx.log and print (api_ctx.cpp), ctx.db (api_db.cpp),
// require (require.cpp).
// Each function documents its effect on the Lua stack.
#pragma once

#include "lua/vm.hpp"

#include <lua.hpp>

#include <cstdint>

namespace weft::lua {

/// Pushes the read-only `weft` table; once per state. [-0, +1]
void push_weft_api(lua_State* L);

/// True when the value at `index` is the error weft.fail raises. Never raises. [-0, +0]
bool is_failure(lua_State* L, int index);

/// Creates the shared, read-only ctx.log table; once per state. [-0, +0]
void open_log_api(lua_State* L);

/// Pushes `print`, which writes its arguments to the log at info level. [-0, +1]
void push_print(lua_State* L);

/// Pushes `ctx` for one step attempt. Raises when out of memory. [-0, +1]
void push_step_context(lua_State* L, const StepCall& call);

/// Creates the metatable of ctx.db handles; once per state. [-0, +0]
void open_database_api(lua_State* L);

/// Pushes a ctx.db handle valid while LuaState's database generation is `generation`. [-0, +1]
void push_database(lua_State* L, std::uint64_t generation);

/// Pushes `require`, which loads Lua modules from the VM's modules folder only. [-0, +1]
void push_require(lua_State* L);

}  // namespace weft::lua
