// Compiled chunks of one VM keyed by their text, each held by a registry
// reference. Bounded: when full it starts over rather than grow with every
// definition version a long-running host ever saw.
#pragma once

#include <lua.hpp>

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace weft::lua {

class ChunkCache {
 public:
  explicit ChunkCache(std::size_t capacity) : capacity_(capacity) {}

  /// Pushes the value cached under `key` and returns true; pushes nothing when absent. [-0, +0|1]
  bool push(lua_State* L, std::string_view key) const {
    const auto found = refs_.find(key);
    if (found == refs_.end() || found->second == LUA_NOREF) return false;
    lua_rawgeti(L, LUA_REGISTRYINDEX, found->second);
    return true;
  }

  /// Pops the value at the top into the cache under `key`. Raises when out of memory. [-1, +0]
  void store(lua_State* L, std::string_view key) {
    if (refs_.size() >= capacity_) clear(L);
    // The entry exists before the reference, so a failing luaL_ref leaves no dangling ref.
    auto [entry, inserted] = refs_.try_emplace(std::string(key), LUA_NOREF);
    if (!inserted) luaL_unref(L, LUA_REGISTRYINDEX, entry->second);
    entry->second = luaL_ref(L, LUA_REGISTRYINDEX);
  }

  std::size_t size() const { return refs_.size(); }

 private:
  void clear(lua_State* L) {
    for (const auto& [key, ref] : refs_) luaL_unref(L, LUA_REGISTRYINDEX, ref);
    refs_.clear();
  }

  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view text) const { return std::hash<std::string_view>{}(text); }
  };

  std::size_t capacity_;
  std::unordered_map<std::string, int, Hash, std::equal_to<>> refs_;
};

}  // namespace weft::lua
