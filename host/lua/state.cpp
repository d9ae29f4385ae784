#include "lua/state.hpp"

#include <cstdlib>
#include <utility>

namespace weft::lua {

LuaState::LuaState(std::filesystem::path modules_root, std::size_t default_memory_limit)
    : modules_root_(std::move(modules_root)), default_memory_limit_(default_memory_limit) {}

LuaState::~LuaState() = default;

std::unique_ptr<LuaState> LuaState::create(std::filesystem::path modules_root,
                                           std::size_t default_memory_limit) {
  std::unique_ptr<LuaState> owner(new LuaState(std::move(modules_root), default_memory_limit));
  lua_State* L = lua_newstate(&LuaState::allocate, owner.get());
  if (L == nullptr) return nullptr;
  owner->state_.reset(L);
  return owner;
}

LuaState& LuaState::from(lua_State* L) {
  void* user_data = nullptr;
  lua_getallocf(L, &user_data);
  return *static_cast<LuaState*>(user_data);
}

void* LuaState::allocate(void* user_data, void* block, std::size_t old_size,
                         std::size_t new_size) {
  auto& self = *static_cast<LuaState*>(user_data);
  const std::size_t old_bytes = block != nullptr ? old_size : 0;
  if (new_size == 0) {
    std::free(block);
    self.bytes_ -= old_bytes;
    return nullptr;
  }
  if (new_size > old_bytes && self.bytes_ - old_bytes + new_size > self.cap_) {
    // Refusing growth makes LuaJIT raise a memory error; a single C function
    // (table.concat, gsub, ...) cannot allocate past the cap before the hook runs.
    self.refused_ = true;
    return nullptr;
  }
  void* moved = std::realloc(block, new_size);
  if (moved == nullptr) {
    // Lua assumes shrinking never fails; the old block is still valid and big enough.
    if (new_size > old_bytes) return nullptr;
    self.bytes_ = self.bytes_ - old_bytes + new_size;  // what Lua will report when freeing it
    return block;
  }
  self.bytes_ = self.bytes_ - old_bytes + new_size;
  return moved;
}

}  // namespace weft::lua
