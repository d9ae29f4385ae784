// The read-only `weft` table: fail, json.encode/decode, null, now, array, _text.
#include "lua/api.hpp"

#include "lua/convert.hpp"
#include "lua/registry.hpp"
#include "lua/sandbox.hpp"
#include "lua/thunk.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <string>

namespace weft::lua {
namespace {

// weft.fail(code, message [, details]) raises a table with the failure
// metatable, which run_step turns into a non-retryable StepError.
int l_weft_fail(lua_State* L) {
  std::size_t length = 0;
  const char* code = luaL_checklstring(L, 1, &length);
  if (length == 0) return luaL_argerror(L, 1, "the failure code must not be empty");
  const char* message = luaL_optstring(L, 2, code);
  lua_createtable(L, 0, 3);  // [args..., failure]
  lua_pushstring(L, code);
  lua_setfield(L, -2, "code");
  lua_pushstring(L, message);
  lua_setfield(L, -2, "message");
  if (!lua_isnoneornil(L, 3)) {
    lua_pushvalue(L, 3);
    lua_setfield(L, -2, "details");
  }
  push_registry(L, kFailMetatableKey);
  lua_setmetatable(L, -2);
  return lua_error(L);
}

// A caught failure prints as "code: message".
int l_weft_failure_tostring(lua_State* L) {
  lua_pushliteral(L, "code");
  lua_rawget(L, 1);
  lua_pushliteral(L, ": ");
  lua_pushliteral(L, "message");
  lua_rawget(L, 1);
  lua_concat(L, 3);
  return 1;
}

/// Pushes the JSON text of argument 1, or an error message and returns false.
bool encode(lua_State* L) {
  std::string error;
  const auto value = to_json(L, 1, &error);
  if (!value) {
    lua_pushfstring(L, "weft.json.encode: %s", error.c_str());
    return false;
  }
  const std::string text = to_json_text(*value);
  lua_pushlstring(L, text.data(), text.size());
  return true;
}

int l_weft_json_encode(lua_State* L) {
  luaL_checkany(L, 1);
  if (!encode(L)) return lua_error(L);
  return 1;
}

/// Pushes the value of the JSON text in argument 1, or an error message and returns false.
bool decode(lua_State* L) {
  std::size_t length = 0;
  const char* text = lua_tolstring(L, 1, &length);
  std::string error;
  const auto value = parse_json(std::string_view(text, length), &error);
  if (!value) {
    lua_pushfstring(L, "weft.json.decode: %s", error.c_str());
    return false;
  }
  push_json(L, *value);
  return true;
}

int l_weft_json_decode(lua_State* L) {
  luaL_checkstring(L, 1);
  if (!decode(L)) return lua_error(L);
  return 1;
}

int l_weft_now(lua_State* L) {
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  lua_pushnumber(L, static_cast<lua_Number>(
                        std::chrono::duration_cast<std::chrono::milliseconds>(now).count()));
  return 1;
}

// weft.array(t) marks t as a JSON array (so `{}` encodes as `[]`); weft.array() makes one.
int l_weft_array(lua_State* L) {
  if (lua_isnoneornil(L, 1)) {
    lua_newtable(L);
    mark_array(L, -1);
    return 1;
  }
  luaL_checktype(L, 1, LUA_TTABLE);
  if (lua_getmetatable(L, 1)) {
    lua_pop(L, 1);
    if (!is_marked_array(L, 1)) return luaL_argerror(L, 1, "the table already has a metatable");
  }
  mark_array(L, 1);
  lua_settop(L, 1);
  return 1;
}

/// Pushes the text argument 1 stands for in an interpolated string, or an
/// error message and returns false.
bool render_text(lua_State* L) {
  switch (lua_type(L, 1)) {
    case LUA_TNONE:
    case LUA_TNIL:
      lua_pushliteral(L, "");
      return true;
    case LUA_TSTRING:
      lua_pushvalue(L, 1);
      return true;
    case LUA_TBOOLEAN:
      lua_pushstring(L, lua_toboolean(L, 1) ? "true" : "false");
      return true;
    case LUA_TNUMBER: {
      const double number = lua_tonumber(L, 1);
      char buffer[64];
      // Whole numbers read as integers ("2", not "2.0"); others as tostring would.
      if (std::isfinite(number) && number == std::floor(number) && std::fabs(number) < 9.2e18) {
        std::snprintf(buffer, sizeof buffer, "%lld", static_cast<long long>(number));
      } else {
        std::snprintf(buffer, sizeof buffer, "%.14g", number);
      }
      lua_pushstring(L, buffer);
      return true;
    }
    case LUA_TLIGHTUSERDATA:
      if (is_null(L, 1)) {
        lua_pushliteral(L, "");
        return true;
      }
      break;
    case LUA_TTABLE:
      if (encode(L)) return true;
      return false;
    default:
      break;
  }
  lua_pushfstring(L, "cannot render a %s value as text", luaL_typename(L, 1));
  return false;
}

int l_weft_text(lua_State* L) {
  if (!render_text(L)) return lua_error(L);
  return 1;
}

}  // namespace

void push_weft_api(lua_State* L) {
  lua_createtable(L, 0, 2);  // [failure_mt]
  lua_pushcfunction(L, l_weft_failure_tostring);
  lua_setfield(L, -2, "__tostring");
  lua_pushliteral(L, "weft.failure");
  lua_setfield(L, -2, "__metatable");
  set_registry(L, kFailMetatableKey);

  lua_createtable(L, 0, 8);  // [weft]
  lua_pushcfunction(L, lua_thunk<l_weft_fail>);
  lua_setfield(L, -2, "fail");
  lua_createtable(L, 0, 2);  // [weft, json]
  lua_pushcfunction(L, lua_thunk<l_weft_json_encode>);
  lua_setfield(L, -2, "encode");
  lua_pushcfunction(L, lua_thunk<l_weft_json_decode>);
  lua_setfield(L, -2, "decode");
  make_read_only(L, "weft.json");
  lua_setfield(L, -2, "json");  // [weft]
  push_null(L);
  lua_setfield(L, -2, "null");
  lua_pushcfunction(L, lua_thunk<l_weft_now>);
  lua_setfield(L, -2, "now");
  lua_pushcfunction(L, lua_thunk<l_weft_array>);
  lua_setfield(L, -2, "array");
  lua_pushcfunction(L, lua_thunk<l_weft_text>);
  lua_setfield(L, -2, "_text");
  make_read_only(L, "weft");
}

bool is_failure(lua_State* L, int index) { return has_metatable(L, index, kFailMetatableKey); }

}  // namespace weft::lua
