// require(name): Lua modules from the VM's modules folder only, compiled into
// their own sandbox environment and cached per VM (like package.loaded).
#include "lua/api.hpp"

#include "lua/registry.hpp"
#include "lua/sandbox.hpp"
#include "lua/state.hpp"
#include "lua/thunk.hpp"

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>

namespace weft::lua {
namespace {

const char kLoadingSentinel = 0;  // in the cache while a module's chunk runs

constexpr std::size_t kMaxModuleNameLength = 200;

// `a.b_c.d`: letters, digits and `_` separated by single dots, so a name can
// neither climb out of the folder nor name an absolute path.
bool is_module_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxModuleNameLength) return false;
  bool segment_empty = true;
  for (const char c : name) {
    if (c == '.') {
      if (segment_empty) return false;
      segment_empty = true;
    } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '_') {
      segment_empty = false;
    } else {
      return false;
    }
  }
  return !segment_empty;
}

/// Pushes the compiled chunk of module `name`, or an error message and returns false.
bool load_module(lua_State* L, const std::filesystem::path& root, std::string_view name) {
  std::string relative(name);
  for (char& c : relative) {
    if (c == '.') c = '/';
  }
  relative += ".lua";
  const std::filesystem::path path = root / relative;
  std::error_code error;
  if (!std::filesystem::is_regular_file(path, error)) {
    lua_pushfstring(L, "module '%s' not found (no %s in the modules folder)",
                    std::string(name).c_str(), relative.c_str());
    return false;
  }
  std::ifstream file(path, std::ios::binary);
  const std::string source((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  if (!file.good() && !file.eof()) {
    lua_pushfstring(L, "module '%s': cannot read %s", std::string(name).c_str(), relative.c_str());
    return false;
  }
  const std::string chunk_name = "=" + relative;
  return luaL_loadbuffer(L, source.data(), source.size(), chunk_name.c_str()) == 0;
}

int l_require(lua_State* L) {
  std::size_t length = 0;
  const char* name = luaL_checklstring(L, 1, &length);
  lua_settop(L, 1);
  const auto& root = LuaState::from(L).modules_root();
  if (root.empty()) return luaL_error(L, "require is not available (no modules folder)");
  if (!is_module_name(std::string_view(name, length)))
    return luaL_error(L, "require: invalid module name '%s' (expected a name like \"lib.util\")", name);

  push_registry(L, kModulesKey);  // [name, modules]
  lua_pushvalue(L, 1);
  lua_rawget(L, 2);  // [name, modules, cached]
  if (lua_touserdata(L, 3) == static_cast<const void*>(&kLoadingSentinel))
    return luaL_error(L, "require: module '%s' requires itself (directly or through others)", name);
  if (!lua_isnil(L, 3)) return 1;
  lua_pop(L, 1);  // [name, modules]

  if (!load_module(L, root, std::string_view(name, length))) return lua_error(L);
  push_environment(L);  // [name, modules, chunk, env]
  lua_setfenv(L, -2);   // [name, modules, chunk]

  lua_pushvalue(L, 1);
  lua_pushlightuserdata(L, const_cast<char*>(&kLoadingSentinel));
  lua_rawset(L, 2);
  lua_pushvalue(L, 1);  // [name, modules, chunk, name]
  if (lua_pcall(L, 1, 1, 0) != 0) {  // [name, modules, error]
    lua_pushvalue(L, 1);
    lua_pushnil(L);
    lua_rawset(L, 2);
    return lua_error(L);  // the module's own error, the abort marker included
  }
  if (lua_isnil(L, -1)) {  // [name, modules, value]
    lua_pop(L, 1);
    lua_pushboolean(L, 1);
  }
  lua_pushvalue(L, 1);
  lua_pushvalue(L, -2);  // [name, modules, value, name, value]
  lua_rawset(L, 2);
  return 1;
}

}  // namespace

void push_require(lua_State* L) {
  lua_newtable(L);
  set_registry(L, kModulesKey);
  lua_pushcfunction(L, lua_thunk<l_require>);
}

}  // namespace weft::lua
