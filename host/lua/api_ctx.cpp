// `ctx` for a step attempt, the shared ctx.log table, and
// print, which goes to the same log.
#include "lua/api.hpp"

#include "common/log.hpp"
#include "lua/convert.hpp"
#include "lua/registry.hpp"
#include "lua/sandbox.hpp"
#include "lua/state.hpp"
#include "lua/thunk.hpp"

#include <algorithm>
#include <array>
#include <string>
#include <string_view>
#include <utility>

namespace weft::lua {
namespace {

/// Logs argument 1 with the fields in argument 2, or pushes an error message and returns false.
/// The record carries trace, execution and step from the LogScope run_step opens.
bool write_log(lua_State* L, spdlog::level::level_enum level) {
  std::size_t length = 0;
  const char* message = lua_tolstring(L, 1, &length);
  if (message == nullptr) {
    lua_pushfstring(L, "ctx.log: the message must be a string, got %s", luaL_typename(L, 1));
    return false;
  }
  JsonObject fields;
  if (!lua_isnoneornil(L, 2)) {
    std::string error;
    auto value = to_json(L, 2, &error);
    if (!value) {
      lua_pushfstring(L, "ctx.log: %s", error.c_str());
      return false;
    }
    if (!value->is_object()) {
      lua_pushliteral(L, "ctx.log: fields must be a table of named values");
      return false;
    }
    fields = std::move(value->as_object());
  }
  log_with_fields(level, std::string_view(message, length), fields);
  return true;
}

int l_log_info(lua_State* L) { return write_log(L, spdlog::level::info) ? 0 : lua_error(L); }
int l_log_warn(lua_State* L) { return write_log(L, spdlog::level::warn) ? 0 : lua_error(L); }
int l_log_error(lua_State* L) { return write_log(L, spdlog::level::err) ? 0 : lua_error(L); }

// print(...) as in Lua (tab-separated tostring of each argument), to the log.
int l_base_print(lua_State* L) {
  const int count = lua_gettop(L);
  luaL_Buffer buffer;
  luaL_buffinit(L, &buffer);
  for (int i = 1; i <= count; ++i) {
    if (i > 1) luaL_addchar(&buffer, '\t');
    lua_pushvalue(L, lua_upvalueindex(1));  // [..., tostring]
    lua_pushvalue(L, i);                    // [..., tostring, value]
    lua_call(L, 1, 1);                      // [..., text]
    if (!lua_isstring(L, -1)) return luaL_error(L, "'tostring' must return a string to 'print'");
    luaL_addvalue(&buffer);
  }
  luaL_pushresult(&buffer);  // [args..., line]
  std::size_t length = 0;
  const char* line = lua_tolstring(L, -1, &length);
  const JsonObject no_fields;
  log_with_fields(spdlog::level::info, std::string_view(line, length), no_fields);
  return 0;
}

/// ctx.emit(type, data): queues a follow-up event for the step's checkpoint.
/// Upvalue 1: the step generation the ctx was made for.
int l_ctx_emit(lua_State* L) {
  auto& state = LuaState::from(L);
  const auto generation = static_cast<std::uint64_t>(lua_tonumber(L, lua_upvalueindex(1)));
  if (state.outbox() == nullptr || state.database_generation() != generation)
    return luaL_error(L, "ctx.emit: only usable during the step that received ctx");
  std::size_t length = 0;
  const char* type = lua_type(L, 1) == LUA_TSTRING ? lua_tolstring(L, 1, &length) : nullptr;
  if (type == nullptr || length == 0 || length > 256)
    return luaL_error(L, "ctx.emit: the event type must be a non-empty string of at most 256 bytes");
  Json data = JsonObject{};
  if (!lua_isnoneornil(L, 2)) {
    std::string error;
    auto value = to_json(L, 2, &error);
    if (!value) return luaL_error(L, "ctx.emit: the data has no JSON form: %s", error.c_str());
    data = std::move(*value);
  }
  state.outbox()->push_back(JsonObject{{"type", std::string_view(type, length)}, {"data", std::move(data)}});
  return 0;
}

/// The ctx fields converted to tables on first use (see l_ctx_index).
constexpr std::array<std::string_view, 4> kLazyFields = {"event", "input", "steps", "lock"};

/// The JSON behind one of kLazyFields (null: the field is nil).
const Json* lazy_field(const StepCall& call, std::string_view name) {
  if (name == "event") return call.event;
  if (name == "input") return call.execution_input;
  if (name == "steps") return call.steps;
  if (name == "lock") return call.lock != nullptr && !call.lock->is_null() ? call.lock : nullptr;
  return nullptr;
}

/// __index of ctx: ctx.event, ctx.input, ctx.steps and ctx.lock are converted to
/// tables when first read, then kept in ctx, because most steps read none of
/// them. Upvalues: the step generation the ctx was made for, and its StepCall,
/// which lives only while that step runs.
int l_ctx_index(lua_State* L) {
  if (lua_type(L, 2) != LUA_TSTRING) return 0;
  std::size_t length = 0;
  const char* name = lua_tolstring(L, 2, &length);
  const std::string_view field(name, length);
  if (std::find(kLazyFields.begin(), kLazyFields.end(), field) == kLazyFields.end()) return 0;
  auto& state = LuaState::from(L);
  const auto generation = static_cast<std::uint64_t>(lua_tonumber(L, lua_upvalueindex(1)));
  if (!state.in_step() || state.database_generation() != generation)
    return luaL_error(L, "ctx.%s: only usable during the step that received ctx", name);
  const auto& call = *static_cast<const StepCall*>(lua_touserdata(L, lua_upvalueindex(2)));
  const Json* value = lazy_field(call, field);
  if (value == nullptr) return 0;
  push_json(L, *value);    // [ctx, name, value]
  lua_pushvalue(L, 2);     // [ctx, name, value, name]
  lua_pushvalue(L, -2);    // [ctx, name, value, name, value]
  lua_rawset(L, 1);        // [ctx, name, value]
  return 1;
}

void set_string(lua_State* L, const char* field, std::string_view value) {
  lua_pushlstring(L, value.data(), value.size());
  lua_setfield(L, -2, field);
}

}  // namespace

void open_log_api(lua_State* L) {
  lua_createtable(L, 0, 3);  // [log]
  lua_pushcfunction(L, lua_thunk<l_log_info>);
  lua_setfield(L, -2, "info");
  lua_pushcfunction(L, lua_thunk<l_log_warn>);
  lua_setfield(L, -2, "warn");
  lua_pushcfunction(L, lua_thunk<l_log_error>);
  lua_setfield(L, -2, "error");
  make_read_only(L, "ctx.log");
  set_registry(L, kLogApiKey);
}

void push_print(lua_State* L) {
  push_registry(L, kGlobalsKey);  // [globals]
  lua_getfield(L, -1, "tostring");
  lua_remove(L, -2);  // [tostring]
  lua_pushcclosure(L, lua_thunk<l_base_print>, 1);
}

void push_step_context(lua_State* L, const StepCall& call) {
  lua_createtable(L, 0, 12);  // [ctx]
  set_string(L, "execution_id", call.identity.execution_id);
  set_string(L, "workflow", call.identity.workflow);
  set_string(L, "version", call.identity.version);
  set_string(L, "step", call.identity.step);
  set_string(L, "trace_id", call.identity.trace_id);
  set_string(L, "idempotency_key", call.identity.idempotency_key);
  lua_pushinteger(L, call.identity.attempt);
  lua_setfield(L, -2, "attempt");
  push_registry(L, kLogApiKey);
  lua_setfield(L, -2, "log");
  const auto generation = static_cast<lua_Number>(LuaState::from(L).database_generation());
  if (call.db != nullptr) {
    push_database(L, LuaState::from(L).database_generation());
    lua_setfield(L, -2, "db");
  }
  lua_pushnumber(L, generation);
  lua_pushcclosure(L, lua_thunk<l_ctx_emit>, 1);
  lua_setfield(L, -2, "emit");
  lua_createtable(L, 0, 1);  // [ctx, mt]
  lua_pushnumber(L, generation);
  lua_pushlightuserdata(L, const_cast<StepCall*>(&call));
  lua_pushcclosure(L, lua_thunk<l_ctx_index>, 2);
  lua_setfield(L, -2, "__index");
  lua_setmetatable(L, -2);  // [ctx]
}

}  // namespace weft::lua
