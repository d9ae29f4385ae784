#include "lua/sandbox.hpp"

#include "lua/call.hpp"
#include "lua/registry.hpp"
#include "lua/state.hpp"
#include "lua/thunk.hpp"

#include <cstring>
#include <random>
#include <stdexcept>
#include <string>

namespace weft::lua {
namespace {

struct Library {
  const char* name;
  lua_CFunction open;
};

// Opened one by one. `os` is opened only to take the three functions below;
// io, debug, package, ffi and jit are never opened at all.
constexpr Library kLibraries[] = {
    {"", luaopen_base},          {LUA_TABLIBNAME, luaopen_table}, {LUA_STRLIBNAME, luaopen_string},
    {LUA_MATHLIBNAME, luaopen_math}, {LUA_BITLIBNAME, luaopen_bit},   {LUA_OSLIBNAME, luaopen_os},
};

// Base functions scripts see as they are. pcall, xpcall, collectgarbage, print
// and require are replaced (below and in vm.cpp).
constexpr const char* kAllowedGlobals[] = {
    "assert", "error",  "getmetatable", "ipairs",   "next",     "pairs",  "rawequal", "rawget",
    "rawset", "select", "setmetatable", "tonumber", "tostring", "type",   "unpack",   "_VERSION",
};

// Never in the sandbox. Checked after the globals are built, so that a later
// edit of an allow-list cannot let one of them in by accident. setfenv and
// getfenv would reach other functions' environments; load* and dofile compile
// code (bytecode included) outside the sandbox; newproxy makes userdata with a
// __gc; gcinfo/collectgarbage control the collector.
constexpr const char* kDeniedGlobals[] = {
    "dofile", "getfenv", "setfenv", "load", "loadfile", "loadstring", "module", "newproxy",
    "gcinfo", "io",      "debug",   "ffi",  "jit",      "package",
};

constexpr const char* kStringFunctions[] = {"byte",  "char", "find",    "format", "gmatch",
                                            "gsub",  "len",  "lower",   "match",  "rep",
                                            "reverse", "sub", "upper"};  // no dump
constexpr const char* kTableFunctions[] = {"concat", "foreach", "foreachi", "getn", "insert",
                                           "maxn",   "move",    "remove",   "sort"};
constexpr const char* kMathFunctions[] = {
    "abs", "acos", "asin", "atan", "atan2", "ceil", "cos",  "cosh", "deg",   "exp",
    "floor", "fmod", "frexp", "huge", "ldexp", "log", "log10", "max", "min", "mod",
    "modf", "pi",  "pow",  "rad",  "random", "sin", "sinh", "sqrt", "tan", "tanh"};  // no randomseed: the generator is shared
constexpr const char* kBitFunctions[] = {"arshift", "band", "bnot", "bor",    "bswap", "bxor",
                                         "lshift",  "rol",  "ror",  "rshift", "tobit", "tohex"};
constexpr const char* kCoroutineFunctions[] = {"create", "isyieldable", "resume", "running",
                                               "status", "wrap",        "yield"};
constexpr const char* kOsFunctions[] = {"clock", "date", "time"};

// The abort marker raised by the count hook must reach the top-level call;
// these wrappers re-raise it where the originals would hand it to the script.
constexpr char kProtectedCallWrappers[] = R"lua(
local pcall, xpcall, resume, error, abort = ...
local function pass(ok, ...)
  if not ok and (...) == abort then error(abort, 0) end
  return ok, ...
end
return function(f, ...) return pass(pcall(f, ...)) end,
  function(f, handler, ...)
    return pass(xpcall(f, function(e)
      if e == abort then return e end
      return handler(e)
    end, ...))
  end,
  function(co, ...) return pass(resume(co, ...)) end
)lua";

int l_sandbox_refuse_write(lua_State* L) {
  const char* name = lua_tostring(L, lua_upvalueindex(1));
  if (lua_type(L, 2) == LUA_TSTRING)
    return luaL_error(L, "cannot modify read-only table '%s' (field '%s')", name, lua_tostring(L, 2));
  return luaL_error(L, "cannot modify read-only table '%s'", name);
}

// string.rep builds its whole result in one C call, without the hook ever
// running, so the size is checked against the call's memory limit up front.
int l_sandbox_string_rep(lua_State* L) {
  std::size_t length = 0;
  luaL_checklstring(L, 1, &length);
  const double count = luaL_checknumber(L, 2);
  std::size_t separator = 0;
  if (!lua_isnoneornil(L, 3)) luaL_checklstring(L, 3, &separator);
  if (count > 1) {
    const double total = static_cast<double>(length) * count + static_cast<double>(separator) * (count - 1);
    const double limit = static_cast<double>(current_memory_limit(L));
    if (total > limit)
      return luaL_error(L, "string.rep: a result of %.0f bytes exceeds the memory limit of %.0f bytes",
                        total, limit);
  }
  lua_pushvalue(L, lua_upvalueindex(1));  // [args..., rep]
  lua_insert(L, 1);                       // [rep, args...]
  lua_call(L, lua_gettop(L) - 1, 1);
  return 1;
}

// Only "count" is left: stopping or tuning the collector would affect every
// script in the state.
int l_sandbox_collectgarbage(lua_State* L) {
  const char* option = luaL_optstring(L, 1, "collect");
  if (std::strcmp(option, "count") != 0)
    return luaL_error(L, "collectgarbage(\"%s\") is not allowed (only \"count\")", option);
  lua_pushnumber(L, static_cast<lua_Number>(LuaState::from(L).bytes_in_use()) / 1024.0);
  return 1;
}

/// Pushes a new table with the listed fields of the table at `source`. [-0, +1]
template <std::size_t N>
void push_copy(lua_State* L, int source, const char* const (&names)[N]) {
  lua_createtable(L, 0, static_cast<int>(N));  // [copy]
  for (const char* name : names) {
    lua_getfield(L, source, name);  // [copy, value]
    lua_setfield(L, -2, name);      // nil for a function this build lacks: simply absent
  }
}

void check_denied_absent(lua_State* L, int globals) {
  for (const char* name : kDeniedGlobals) {
    lua_getfield(L, globals, name);
    const bool present = !lua_isnil(L, -1);
    lua_pop(L, 1);
    if (present) throw std::logic_error(std::string("sandbox globals contain denied '") + name + "'");
  }
}

}  // namespace

void open_sandbox(lua_State* L) {
  for (const auto& library : kLibraries) {
    lua_pushcfunction(L, library.open);
    lua_pushstring(L, library.name);
    lua_call(L, 1, 0);
  }
  const int all = lua_gettop(L) + 1;
  lua_pushvalue(L, LUA_GLOBALSINDEX);  // [all]: everything the libraries registered
  lua_createtable(L, 0, 32);           // [all, globals]
  const int globals = all + 1;
  for (const char* name : kAllowedGlobals) {
    lua_getfield(L, all, name);
    lua_setfield(L, globals, name);
  }
  lua_pushcfunction(L, lua_thunk<l_sandbox_collectgarbage>);
  lua_setfield(L, globals, "collectgarbage");

  // pcall, xpcall and coroutine.resume that pass the abort marker on.
  if (luaL_loadbuffer(L, kProtectedCallWrappers, sizeof kProtectedCallWrappers - 1,
                      "=weft.sandbox") != 0)
    lua_error(L);
  lua_getfield(L, all, "pcall");
  lua_getfield(L, all, "xpcall");
  lua_getfield(L, all, LUA_COLIBNAME);
  lua_getfield(L, -1, "resume");
  lua_remove(L, -2);
  lua_getfield(L, all, "error");
  push_abort_marker(L);  // [all, globals, chunk, pcall, xpcall, resume, error, marker]
  lua_call(L, 5, 3);     // [all, globals, pcall', xpcall', resume']
  const int wrappers = globals + 1;
  lua_pushvalue(L, wrappers);
  lua_setfield(L, globals, "pcall");
  lua_pushvalue(L, wrappers + 1);
  lua_setfield(L, globals, "xpcall");

  lua_getfield(L, all, LUA_COLIBNAME);  // [..., coroutine]
  push_copy(L, lua_gettop(L), kCoroutineFunctions);
  lua_pushvalue(L, wrappers + 2);
  lua_setfield(L, -2, "resume");
  make_read_only(L, LUA_COLIBNAME);  // [..., coroutine, proxy]
  lua_setfield(L, globals, LUA_COLIBNAME);
  lua_settop(L, globals);  // [all, globals]

  // Seed the generator per state: LuaJIT starts every state on the same sequence.
  lua_getfield(L, all, LUA_MATHLIBNAME);
  lua_getfield(L, -1, "randomseed");
  lua_pushnumber(L, static_cast<lua_Number>(std::random_device{}() & 0x7fffffff));
  lua_call(L, 1, 0);
  lua_pop(L, 1);  // [all, globals]

  // Each library scripts see is a read-only copy holding only its allowed functions.
  struct Library {
    const char* name;
    void (*copy)(lua_State*, int);
  };
  static constexpr Library kLibraries[] = {
      {LUA_MATHLIBNAME, [](lua_State* S, int source) { push_copy(S, source, kMathFunctions); }},
      {LUA_TABLIBNAME, [](lua_State* S, int source) { push_copy(S, source, kTableFunctions); }},
      {LUA_BITLIBNAME, [](lua_State* S, int source) { push_copy(S, source, kBitFunctions); }},
      {LUA_OSLIBNAME, [](lua_State* S, int source) { push_copy(S, source, kOsFunctions); }},
  };
  for (const auto& library : kLibraries) {
    lua_getfield(L, all, library.name);   // [all, globals, lib]
    library.copy(L, lua_gettop(L));      // [all, globals, lib, copy]
    make_read_only(L, library.name);
    lua_setfield(L, globals, library.name);
    lua_pop(L, 1);  // [all, globals]
  }

  // Strings index the copy through their metatable, so `("x"):rep(n)` is capped
  // too and `("x"):dump()` does not exist. The metatable itself is hidden.
  lua_getfield(L, all, LUA_STRLIBNAME);  // [all, globals, string]
  push_copy(L, lua_gettop(L), kStringFunctions);  // [all, globals, string, copy]
  lua_getfield(L, -1, "rep");
  lua_pushcclosure(L, lua_thunk<l_sandbox_string_rep>, 1);
  lua_setfield(L, -2, "rep");
  lua_pushliteral(L, "");
  lua_getmetatable(L, -1);  // [all, globals, string, copy, "", string_mt]
  lua_pushvalue(L, -3);
  lua_setfield(L, -2, "__index");
  lua_pushliteral(L, "read-only");
  lua_setfield(L, -2, "__metatable");
  lua_pop(L, 2);  // [all, globals, string, copy]
  make_read_only(L, LUA_STRLIBNAME);
  lua_setfield(L, globals, LUA_STRLIBNAME);
  lua_pop(L, 1);  // [all, globals]

  check_denied_absent(L, globals);

  lua_createtable(L, 0, 2);  // [all, globals, env_mt]
  lua_pushvalue(L, globals);
  lua_setfield(L, -2, "__index");
  // Shared by every environment: hidden, so no script can redirect another's lookups.
  lua_pushboolean(L, 0);
  lua_setfield(L, -2, "__metatable");
  set_registry(L, kEnvMetatableKey);  // [all, globals]
  set_registry(L, kGlobalsKey);       // [all]

  // Nothing runs with the thread's own globals; leave them empty rather than
  // holding io, load and friends.
  lua_newtable(L);
  lua_replace(L, LUA_GLOBALSINDEX);
  lua_pop(L, 1);
}

void set_sandbox_global(lua_State* L, const char* name) {
  push_registry(L, kGlobalsKey);  // [value, globals]
  lua_insert(L, -2);              // [globals, value]
  lua_setfield(L, -2, name);
  lua_pop(L, 1);
}

void push_environment(lua_State* L) {
  lua_createtable(L, 0, 4);  // [env]
  lua_pushvalue(L, -1);
  lua_setfield(L, -2, "_G");
  push_registry(L, kEnvMetatableKey);
  lua_setmetatable(L, -2);
}

void make_read_only(lua_State* L, const char* name) {
  lua_newuserdata(L, 0);     // [table, proxy]
  lua_createtable(L, 0, 3);  // [table, proxy, mt]
  lua_pushvalue(L, -3);
  lua_setfield(L, -2, "__index");
  lua_pushstring(L, name);
  lua_pushcclosure(L, l_sandbox_refuse_write, 1);
  lua_setfield(L, -2, "__newindex");
  lua_pushliteral(L, "read-only");
  lua_setfield(L, -2, "__metatable");
  lua_setmetatable(L, -2);  // [table, proxy]
  lua_replace(L, -2);       // [proxy]
}

}  // namespace weft::lua
