// Owns one lua_State with the allocator that counts (and can cap) its memory,
// and the per-call context the count hook and C functions reach through
// LuaState::from(L). Also StackGuard, which keeps the Lua stack balanced.
#pragma once

#include "common/json.hpp"

#include <lua.hpp>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <memory>
#include <vector>

namespace weft::lua {

struct ActiveCall;  // call.hpp
class Database;     // database.hpp

class LuaState {
 public:
  /// A new state without any library. nullptr when LuaJIT cannot create a state
  /// with a custom allocator (a non-GC64 build on x64).
  static std::unique_ptr<LuaState> create(std::filesystem::path modules_root,
                                          std::size_t default_memory_limit);
  ~LuaState();
  LuaState(const LuaState&) = delete;
  LuaState& operator=(const LuaState&) = delete;

  /// The LuaState owning `L` (any of its threads). `L` must come from create().
  static LuaState& from(lua_State* L);

  lua_State* get() const { return state_.get(); }

  std::size_t bytes_in_use() const { return bytes_; }
  /// Growth beyond `cap` bytes in total fails, and Lua raises "not enough memory".
  void set_allocation_cap(std::size_t cap) { cap_ = cap; }
  void lift_allocation_cap() { cap_ = std::numeric_limits<std::size_t>::max(); }
  /// Whether an allocation was refused since the last call; clears the flag.
  bool take_allocation_refused() {
    const bool refused = refused_;
    refused_ = false;
    return refused;
  }

  /// The protected call currently running, or null between calls.
  ActiveCall* active_call() const { return active_call_; }
  void set_active_call(ActiveCall* call) { active_call_ = call; }

  /// ctx.db of the step running now. Each step gets a new generation, so a
  /// handle a script kept from an earlier step is refused instead of dangling.
  Database* database() const { return database_; }
  std::uint64_t database_generation() const { return database_generation_; }
  std::uint64_t begin_database(Database* database) {
    database_ = database;
    in_step_ = true;
    return ++database_generation_;
  }
  void end_database() {
    database_ = nullptr;
    outbox_ = nullptr;
    in_step_ = false;
  }
  /// Whether the step of database_generation() is running now.
  bool in_step() const { return in_step_; }
  /// ctx.emit's destination for the step running now (same lifetime as database()).
  std::vector<Json>* outbox() const { return outbox_; }
  void set_outbox(std::vector<Json>* outbox) { outbox_ = outbox; }

  const std::filesystem::path& modules_root() const { return modules_root_; }
  std::size_t default_memory_limit() const { return default_memory_limit_; }

 private:
  LuaState(std::filesystem::path modules_root, std::size_t default_memory_limit);
  static void* allocate(void* user_data, void* block, std::size_t old_size, std::size_t new_size);

  std::filesystem::path modules_root_;
  std::size_t default_memory_limit_;
  std::size_t bytes_ = 0;
  std::size_t cap_ = std::numeric_limits<std::size_t>::max();
  bool refused_ = false;
  ActiveCall* active_call_ = nullptr;
  Database* database_ = nullptr;
  std::vector<Json>* outbox_ = nullptr;
  std::uint64_t database_generation_ = 0;
  bool in_step_ = false;
  // Last member: lua_close runs first and still finds the allocator's counters.
  std::unique_ptr<lua_State, decltype(&lua_close)> state_{nullptr, &lua_close};
};

/// Restores the stack top it saw on construction, whatever happened in between.
class StackGuard {
 public:
  explicit StackGuard(lua_State* L) : L_(L), top_(lua_gettop(L)) {}
  ~StackGuard() { lua_settop(L_, top_); }
  StackGuard(const StackGuard&) = delete;
  StackGuard& operator=(const StackGuard&) = delete;

 private:
  lua_State* L_;
  int top_;
};

}  // namespace weft::lua
