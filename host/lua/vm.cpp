#include "lua/vm.hpp"

#include "common/duration.hpp"
#include "common/log.hpp"
#include "lua/api.hpp"
#include "lua/call.hpp"
#include "lua/chunk_cache.hpp"
#include "lua/convert.hpp"
#include "lua/registry.hpp"
#include "lua/sandbox.hpp"
#include "lua/state.hpp"
#include "lua/thunk.hpp"

#include <luajit.h>

#include <cmath>
#include <exception>
#include <stdexcept>
#include <string>
#include <utility>

namespace weft::lua {

// Plenty for the expressions and scripts of every loaded definition version.
constexpr std::size_t kMaxCachedChunks = 4096;

struct Vm::State {
  std::unique_ptr<LuaState> lua;
  ChunkCache expressions{kMaxCachedChunks};
  ChunkCache scripts{kMaxCachedChunks};
};

namespace {

struct EvaluateRequest {
  ChunkCache* cache;
  std::string_view chunk;
  const Scope* scope;
};

struct StepRequest {
  ChunkCache* cache;
  std::string_view key;  // chunk name and source
  const StepCall* call;
  bool invalid_script = false;  // set before raising a compile or shape error
};

// Everything the VM exposes, in one visible list. open_sandbox comes first:
// the others read its registry slots.
int l_vm_open(lua_State* L) {
  open_sandbox(L);
  open_convert(L);
  open_log_api(L);
  open_database_api(L);
  push_weft_api(L);
  set_sandbox_global(L, "weft");
  push_print(L);
  set_sandbox_global(L, "print");
  push_require(L);
  set_sandbox_global(L, "require");
  return 0;
}

int l_vm_panic(lua_State* L) {
  const char* message = lua_tostring(L, -1);
  spdlog::critical("unprotected Lua error: {}", message != nullptr ? message : "?");
  return 0;
}

void set_scope_value(lua_State* L, const char* name, const Json* value) {
  if (value == nullptr) return;
  push_json(L, *value);
  lua_setfield(L, -2, name);
}

// [request] -> [result]: the compiled (cached) chunk run in a fresh environment
// holding the scope.
int l_vm_evaluate(lua_State* L) {
  const auto& request = *static_cast<const EvaluateRequest*>(lua_touserdata(L, 1));
  if (!request.cache->push(L, request.chunk)) {
    if (luaL_loadbuffer(L, request.chunk.data(), request.chunk.size(), "=expression") != 0)
      return lua_error(L);
    lua_pushvalue(L, -1);
    request.cache->store(L, request.chunk);
  }
  push_environment(L);  // [request, fn, env]
  set_scope_value(L, "event", request.scope->event);
  set_scope_value(L, "input", request.scope->input);
  set_scope_value(L, "steps", request.scope->steps);
  set_scope_value(L, "execution", request.scope->execution);
  lua_setfenv(L, -2);  // [request, fn]
  lua_call(L, 0, 1);   // [request, result]
  return 1;
}

/// [request] -> [request, fn]: the step function, compiled and cached on first use.
/// The chunk keeps its environment for the VM's lifetime, like module state.
void push_step_function(lua_State* L, StepRequest& request) {
  if (request.cache->push(L, request.key)) return;
  const auto& call = *request.call;
  const std::string_view name = call.chunk_name.empty() ? std::string_view("step") : call.chunk_name;
  lua_pushliteral(L, "=");
  lua_pushlstring(L, name.data(), name.size());
  lua_concat(L, 2);  // [request, "=name"]
  const int chunk_name = lua_gettop(L);
  if (luaL_loadbuffer(L, call.script_source.data(), call.script_source.size(),
                      lua_tostring(L, chunk_name)) != 0) {
    request.invalid_script = true;
    lua_error(L);
  }
  push_environment(L);  // [request, "=name", chunk, env]
  lua_setfenv(L, -2);
  lua_call(L, 0, 1);  // [request, "=name", fn]
  if (!lua_isfunction(L, -1)) {
    request.invalid_script = true;
    luaL_error(L, "%s must return a function(ctx, input), not a %s value",
               lua_tostring(L, chunk_name) + 1, luaL_typename(L, -1));
  }
  lua_remove(L, chunk_name);  // [request, fn]
  lua_pushvalue(L, -1);
  request.cache->store(L, request.key);
}

// [request] -> [output]
int l_vm_run_step(lua_State* L) {
  auto& request = *static_cast<StepRequest*>(lua_touserdata(L, 1));
  push_step_function(L, request);               // [request, fn]
  push_step_context(L, *request.call);          // [request, fn, ctx]
  push_json_or_nil(L, request.call->input);     // [request, fn, ctx, input]
  lua_call(L, 2, 1);                            // [request, output]
  return 1;
}

std::string format_bytes(std::size_t bytes) {
  constexpr std::size_t kMiB = 1u << 20;
  constexpr std::size_t kKiB = 1u << 10;
  if (bytes % kMiB == 0) return std::to_string(bytes / kMiB) + " MiB";
  if (bytes % kKiB == 0) return std::to_string(bytes / kKiB) + " KiB";
  return std::to_string(bytes) + " bytes";
}

/// The string at `key` of the table at `index`, without metamethods. Never raises in practice:
/// the key literals are interned already.
std::string raw_string_field(lua_State* L, int index, const char* key) {
  lua_pushstring(L, key);
  lua_rawget(L, index);
  std::string value;
  if (lua_type(L, -1) == LUA_TSTRING) {
    std::size_t length = 0;
    const char* text = lua_tolstring(L, -1, &length);
    value.assign(text, length);
  }
  lua_pop(L, 1);
  return value;
}

/// A message for the error value at `index`.
std::string describe_error(lua_State* L, int index) {
  switch (lua_type(L, index)) {
    case LUA_TSTRING: {
      std::size_t length = 0;
      const char* text = lua_tolstring(L, index, &length);
      return std::string(text, length);
    }
    case LUA_TNUMBER: {
      std::string error;
      const auto value = to_json(L, index, &error);
      return value ? to_json_text(*value) : error;
    }
    case LUA_TTABLE: {
      const std::string code = raw_string_field(L, index, "code");
      const std::string message = raw_string_field(L, index, "message");
      if (!code.empty() || !message.empty()) return code.empty() ? message : code + ": " + message;
      std::string error;
      const auto value = to_json(L, index, &error);
      if (value) return "error object " + to_json_text(*value);
      return "error object is a table";
    }
    default:
      return std::string("error object is a ") + luaL_typename(L, index) + " value";
  }
}

/// Details of a table error's `details` field, or null.
Json error_details(lua_State* L, int index) {
  lua_pushliteral(L, "details");
  lua_rawget(L, index);
  Json details = nullptr;
  if (!lua_isnil(L, -1)) {
    std::string error;
    if (auto value = to_json(L, -1, &error)) details = std::move(*value);
  }
  lua_pop(L, 1);
  return details;
}

StepError abort_error(Abort abort, const char* what, std::chrono::milliseconds timeout,
                      std::size_t memory_limit) {
  switch (abort) {
    case Abort::Timeout:
      return {"timeout", std::string(what) + " exceeded its timeout of " + format_duration(timeout),
              true, nullptr};
    case Abort::Memory:
      return {"memory_limit",
              std::string(what) + " exceeded its memory limit of " + format_bytes(memory_limit), false,
              nullptr};
    case Abort::Cancelled:
      return {"cancelled", std::string(what) + " was cancelled", false, nullptr};
    case Abort::None:
      break;
  }
  return {"error", "unknown abort", true, nullptr};
}

std::chrono::milliseconds remaining(Deadline deadline, std::chrono::steady_clock::time_point now) {
  if (deadline == Deadline::max()) return std::chrono::milliseconds(0);
  // Rounded up: a deadline set to now + 5s is "5s", not "4999ms", a moment later.
  return std::chrono::ceil<std::chrono::milliseconds>(deadline - now);
}

/// The StepError for a failed step call; the error value is at the top.
StepError step_error(lua_State* L, const CallResult& result, const StepRequest& request,
                     std::chrono::milliseconds timeout, std::size_t memory_limit) {
  if (result.abort != Abort::None) return abort_error(result.abort, "step", timeout, memory_limit);
  const int top = lua_gettop(L);
  if (request.invalid_script) return {"invalid_script", describe_error(L, top), false, nullptr};
  if (is_failure(L, top)) {
    return {raw_string_field(L, top, "code"), raw_string_field(L, top, "message"), false,
            error_details(L, top)};
  }
  if (lua_istable(L, top)) {
    StepError error{raw_string_field(L, top, "code"), raw_string_field(L, top, "message"), true,
                    error_details(L, top)};
    if (error.code.empty()) {
      error.code = "error";
      if (error.message.empty()) error.message = describe_error(L, top);
    }
    lua_pushliteral(L, "retryable");
    lua_rawget(L, top);
    if (lua_isboolean(L, -1)) error.retryable = lua_toboolean(L, -1) != 0;
    lua_pop(L, 1);
    return error;
  }
  StepError error{"error", describe_error(L, top), true, nullptr};
  if (!result.traceback.empty()) error.details = JsonObject{{"traceback", result.traceback}};
  return error;
}

}  // namespace

Vm::Vm(VmOptions options) : state_(std::make_unique<State>()) {
  state_->lua = LuaState::create(std::move(options.modules_root), options.memory_limit_bytes);
  if (!state_->lua)
    throw std::runtime_error("cannot create a LuaJIT state with weft's allocator (LuaJIT without GC64?)");
  lua_State* L = state_->lua->get();
  // JIT off: LuaJIT does not run count hooks inside compiled traces, and the
  // count hook is how a script that loops forever gets interrupted.
  luaJIT_setmode(L, 0, LUAJIT_MODE_ENGINE | LUAJIT_MODE_OFF);
  lua_atpanic(L, l_vm_panic);
  if (lua_cpcall(L, lua_thunk<l_vm_open>, nullptr) != 0) {
    const char* message = lua_tostring(L, -1);
    std::string text = message != nullptr ? message : "unknown error";
    lua_pop(L, 1);
    throw std::runtime_error("cannot set up the Lua sandbox: " + text);
  }
}

Vm::~Vm() = default;

StepOutcome Vm::evaluate(std::string_view chunk, const Scope& scope, Deadline deadline) {
  try {
    auto& lua = *state_->lua;
    lua_State* L = lua.get();
    StackGuard guard(L);
    const auto timeout = remaining(deadline, std::chrono::steady_clock::now());
    EvaluateRequest request{&state_->expressions, chunk, &scope};
    lua_pushcfunction(L, lua_thunk<l_vm_evaluate>);
    lua_pushlightuserdata(L, &request);
    const CallResult result = protected_call(L, 1, 1, CallLimits{deadline, nullptr, 0});
    if (!result.ok()) {
      StepError error = abort_error(result.abort, "expression", timeout, lua.default_memory_limit());
      if (result.abort == Abort::None) error.message = describe_error(L, -1);
      error.code = "expression";
      error.retryable = false;
      return StepOutcome::failure(std::move(error));
    }
    std::string conversion_error;
    auto value = to_json(L, -1, &conversion_error);
    if (!value) {
      return StepOutcome::failure(
          {"expression", "the expression's value has no JSON form: " + conversion_error, false, nullptr});
    }
    return StepOutcome::success(std::move(*value));
  } catch (const std::exception& error) {
    return StepOutcome::failure({"expression", error.what(), false, nullptr});
  }
}

StepOutcome Vm::run_step(const StepCall& call) {
  try {
    LogScope log_scope({call.identity.trace_id, call.identity.execution_id, call.identity.step});
    auto& lua = *state_->lua;
    lua_State* L = lua.get();
    StackGuard guard(L);
    const auto timeout =
        call.timeout.count() > 0 ? call.timeout : remaining(call.deadline, std::chrono::steady_clock::now());
    const std::size_t memory_limit =
        call.memory_limit_bytes != 0 ? call.memory_limit_bytes : lua.default_memory_limit();

    std::string key;
    key.reserve(call.chunk_name.size() + 1 + call.script_source.size());
    key.append(call.chunk_name).append(1, '\n').append(call.script_source);
    StepRequest request{&state_->scripts, key, &call};

    lua_pushcfunction(L, lua_thunk<l_vm_run_step>);
    lua_pushlightuserdata(L, &request);
    lua.begin_database(call.db);
    lua.set_outbox(call.outbox);
    const CallResult result =
        protected_call(L, 1, 1, CallLimits{call.deadline, call.cancelled, memory_limit});
    lua.end_database();
    if (!result.ok()) return StepOutcome::failure(step_error(L, result, request, timeout, memory_limit));

    std::string conversion_error;
    auto output = to_json(L, -1, &conversion_error);
    if (!output) {
      return StepOutcome::failure({"invalid_output",
                                   "the step's return value has no JSON form: " + conversion_error,
                                   false, nullptr});
    }
    return StepOutcome::success(std::move(*output));
  } catch (const std::exception& error) {
    return StepOutcome::failure({"error", std::string("Lua VM: ") + error.what(), true, nullptr});
  }
}

std::size_t Vm::memory_in_use() const { return state_->lua->bytes_in_use(); }

int Vm::stack_depth_for_test() const { return lua_gettop(state_->lua->get()); }

}  // namespace weft::lua
