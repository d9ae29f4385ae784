// The single conversion point between weft::Json and Lua values. JSON null is
// `weft.null`; JSON arrays are tables carrying the array marker metatable, so
// an empty array stays an array on the way back.
#pragma once

#include "common/json.hpp"

#include <lua.hpp>

#include <optional>
#include <string>

namespace weft::lua {

/// Deeper values are refused both ways (this also stops reference cycles).
constexpr int kMaxJsonDepth = 200;

/// Creates the array marker metatable; once per state. [-0, +0]
void open_convert(lua_State* L);

/// Pushes `weft.null`, the unique light userdata standing for JSON null. [-0, +1]
void push_null(lua_State* L);
bool is_null(lua_State* L, int index);

/// Gives the table at `index` the array marker metatable. [-0, +0]
void mark_array(lua_State* L, int index);
bool is_marked_array(lua_State* L, int index);

/// Pushes `value` as a Lua value. Raises a Lua error when out of memory or nested too deeply,
/// so it belongs inside a protected call. [-0, +1]
void push_json(lua_State* L, const Json& value);

/// Pushes `*value`, or nil for a null pointer. [-0, +1]
void push_json_or_nil(lua_State* L, const Json* value);

/// Converts the value at `index`. Never raises: when the value has no JSON form
/// (functions, NaN, cycles, ...) returns nullopt and sets `error`. [-0, +0]
std::optional<Json> to_json(lua_State* L, int index, std::string* error);

}  // namespace weft::lua
