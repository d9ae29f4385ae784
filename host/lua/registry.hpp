// Registry slots the lua module keeps per state. Keys are light userdata of
// distinct addresses, so a lookup never allocates (safe in non-raising code).
#pragma once

#include <lua.hpp>

namespace weft::lua {

// Each key is only its address; the values are never read.
inline const char kArrayMetatableKey = 0;  // metatable marking a table as a JSON array
inline const char kFailMetatableKey = 0;   // metatable of the error weft.fail raises
inline const char kEnvMetatableKey = 0;    // metatable of every script environment
inline const char kGlobalsKey = 0;         // the read-only globals environments fall back to
inline const char kDatabaseMetatableKey = 0;  // metatable of ctx.db handles
inline const char kLogApiKey = 0;          // the shared, read-only ctx.log table
inline const char kModulesKey = 0;         // require's cache: module name -> value

/// Pushes the registry value stored under `key`. [-0, +1]
inline void push_registry(lua_State* L, const char& key) {
  lua_pushlightuserdata(L, const_cast<char*>(&key));
  lua_rawget(L, LUA_REGISTRYINDEX);
}

/// Pops the value at the top into the registry under `key`. [-1, +0]
inline void set_registry(lua_State* L, const char& key) {
  lua_pushlightuserdata(L, const_cast<char*>(&key));  // [value, key]
  lua_insert(L, -2);                                  // [key, value]
  lua_rawset(L, LUA_REGISTRYINDEX);
}

/// True when the value at `index` has the metatable stored under `key`. Never raises. [-0, +0]
inline bool has_metatable(lua_State* L, int index, const char& key) {
  if (!lua_getmetatable(L, index)) return false;  // [mt]
  push_registry(L, key);                          // [mt, expected]
  const bool same = lua_rawequal(L, -1, -2) != 0;
  lua_pop(L, 2);
  return same;
}

}  // namespace weft::lua
