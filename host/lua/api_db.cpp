// ctx.db for transactional steps: query, query_one and exec over the
// lua::Database the engine hands in. Parameters are bound ($1..$n), never
// interpolated. A failed statement raises a table error {code, message,
// retryable, details} carrying the SQLSTATE classification.
#include "lua/api.hpp"

#include "lua/call.hpp"

#include "lua/convert.hpp"
#include "lua/database.hpp"
#include "lua/registry.hpp"
#include "lua/state.hpp"
#include "lua/thunk.hpp"

#include <string>
#include <vector>

namespace weft::lua {
namespace {

struct DatabaseHandle {
  std::uint64_t generation;
};

enum class Statement { Query, QueryOne, Exec };

/// The Database behind the handle at index 1, or null after pushing an error message.
Database* database_of(lua_State* L, const char* method) {
  if (!has_metatable(L, 1, kDatabaseMetatableKey)) {
    lua_pushfstring(L, "ctx.db:%s: call it with ':' (ctx.db:%s(sql, ...))", method, method);
    return nullptr;
  }
  const auto* handle = static_cast<const DatabaseHandle*>(lua_touserdata(L, 1));
  const auto& state = LuaState::from(L);
  if (state.database() == nullptr || state.database_generation() != handle->generation) {
    lua_pushfstring(L, "ctx.db:%s: ctx.db is only usable during the step that received it", method);
    return nullptr;
  }
  return state.database();
}

/// Pushes the error table for a failed statement.
void push_database_error(lua_State* L, const StepError& error) {
  lua_createtable(L, 0, 4);
  lua_pushlstring(L, error.code.data(), error.code.size());
  lua_setfield(L, -2, "code");
  lua_pushlstring(L, error.message.data(), error.message.size());
  lua_setfield(L, -2, "message");
  lua_pushboolean(L, error.retryable ? 1 : 0);
  lua_setfield(L, -2, "retryable");
  push_json(L, error.details);
  lua_setfield(L, -2, "details");
}

/// Runs the statement; pushes its result, or the error value and returns false.
bool run_statement(lua_State* L, Statement kind, const char* method) {
  Database* database = database_of(L, method);
  if (database == nullptr) return false;
  std::size_t length = 0;
  const char* sql = lua_tolstring(L, 2, &length);
  if (sql == nullptr || lua_type(L, 2) != LUA_TSTRING) {
    lua_pushfstring(L, "ctx.db:%s: the SQL must be a string", method);
    return false;
  }
  std::vector<Json> params;
  for (int i = 3; i <= lua_gettop(L); ++i) {
    std::string error;
    auto value = to_json(L, i, &error);
    if (!value) {
      lua_pushfstring(L, "ctx.db:%s: parameter $%d: %s", method, i - 2, error.c_str());
      return false;
    }
    params.push_back(std::move(*value));
  }
  try {
    if (kind == Statement::Exec) {
      lua_pushnumber(L, static_cast<lua_Number>(database->exec({sql, length}, params)));
      return true;
    }
    const Json rows = database->query({sql, length}, params);
    if (kind == Statement::Query) {
      push_json(L, rows);
    } else if (rows.is_array() && !rows.get_array().empty()) {
      push_json(L, rows.get_array().front());
    } else {
      lua_pushnil(L);
    }
    return true;
  } catch (const DatabaseError& error) {
    push_database_error(L, error.error());
    return false;
  }
}

/// ctx.db:savepoint(fn): like pcall, but fn's SQL is undone when it fails.
/// Stack: [db, fn] -> true, results... | false, error
int l_db_savepoint(lua_State* L) {
  Database* database = database_of(L, "savepoint");
  if (database == nullptr) return lua_error(L);
  if (lua_type(L, 2) != LUA_TFUNCTION) return luaL_error(L, "ctx.db:savepoint: expected a function");
  std::string name;
  try {
    name = database->begin_savepoint();
  } catch (const DatabaseError& error) {
    push_database_error(L, error.error());
    return lua_error(L);
  }
  lua_settop(L, 2);
  const int base = lua_gettop(L) - 1;  // results start above [db]
  const int status = lua_pcall(L, 0, LUA_MULTRET, 0);  // [db, results...] or [db, error]
  try {
    if (status == 0) {
      database->release_savepoint(name);
      lua_pushboolean(L, 1);
      lua_insert(L, base + 1);  // [db, true, results...]
      return lua_gettop(L) - base;
    }
    database->rollback_to_savepoint(name);
  } catch (const DatabaseError& error) {
    push_database_error(L, error.error());
    return lua_error(L);
  }
  // A timeout, cancel or memory abort is not fn's to swallow: pass it on.
  push_abort_marker(L);
  const bool abort = lua_rawequal(L, -1, -2) != 0;
  lua_pop(L, 1);
  if (abort) return lua_error(L);
  lua_pushboolean(L, 0);
  lua_insert(L, -2);  // [db, false, error]
  return 2;
}

int l_db_query(lua_State* L) { return run_statement(L, Statement::Query, "query") ? 1 : lua_error(L); }
int l_db_query_one(lua_State* L) {
  return run_statement(L, Statement::QueryOne, "query_one") ? 1 : lua_error(L);
}
int l_db_exec(lua_State* L) { return run_statement(L, Statement::Exec, "exec") ? 1 : lua_error(L); }

}  // namespace

void open_database_api(lua_State* L) {
  lua_createtable(L, 0, 2);  // [mt]
  lua_createtable(L, 0, 3);  // [mt, methods]
  lua_pushcfunction(L, lua_thunk<l_db_query>);
  lua_setfield(L, -2, "query");
  lua_pushcfunction(L, lua_thunk<l_db_query_one>);
  lua_setfield(L, -2, "query_one");
  lua_pushcfunction(L, lua_thunk<l_db_exec>);
  lua_setfield(L, -2, "exec");
  lua_pushcfunction(L, lua_thunk<l_db_savepoint>);
  lua_setfield(L, -2, "savepoint");
  lua_setfield(L, -2, "__index");  // [mt]
  lua_pushliteral(L, "ctx.db");
  lua_setfield(L, -2, "__metatable");
  set_registry(L, kDatabaseMetatableKey);
}

void push_database(lua_State* L, std::uint64_t generation) {
  auto* handle = static_cast<DatabaseHandle*>(lua_newuserdata(L, sizeof(DatabaseHandle)));
  handle->generation = generation;
  push_registry(L, kDatabaseMetatableKey);
  lua_setmetatable(L, -2);
}

}  // namespace weft::lua
