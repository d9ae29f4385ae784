#include "lua_test_support.hpp"

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

using namespace weft;
using namespace weft::lua;
using namespace weft::lua::test;
using namespace std::chrono_literals;

namespace {

// Each must fail from a step and from an expression.
const char* const kForbidden[] = {
    "io.open('/etc/passwd')",
    "os.execute('true')",
    "os.getenv('HOME')",
    "os.exit(1)",
    "os.remove('/tmp/x')",
    "debug.getinfo(1)",
    "debug.traceback()",
    "require('ffi')",
    "ffi.C",
    "jit.off()",
    "load('return 1')",
    "loadstring('return 1')",
    "dofile('/etc/passwd')",
    "loadfile('/etc/passwd')",
    "string.dump(print)",
    "('x').dump(print)",
    "setfenv(1, {})",
    "getfenv(1)",
    "collectgarbage('stop')",
    "collectgarbage()",
    "package.loadlib('libc.so.6', 'system')",
    "newproxy(true)",
    "module('x')",
    "math.randomseed(1)",
    "gcinfo()",
};

}  // namespace

TEST_CASE("forbidden facilities fail in a step", "[lua][sandbox]") {
  Vm vm;
  for (const char* code : kForbidden) {
    INFO(code);
    const auto outcome = run_body(vm, std::string("return ") + code);
    REQUIRE_FALSE(outcome.ok());
    CHECK(outcome.error().code == "error");
  }
  CHECK(vm.stack_depth_for_test() == 0);
}

TEST_CASE("forbidden facilities fail in an expression", "[lua][sandbox]") {
  Vm vm;
  for (const char* code : kForbidden) {
    INFO(code);
    const auto outcome = vm.evaluate(std::string("return (") + code + "\n)", Scope{});
    REQUIRE_FALSE(outcome.ok());
    CHECK(outcome.error().code == "expression");
    CHECK_FALSE(outcome.error().retryable);
  }
}

TEST_CASE("denied names are simply absent", "[lua][sandbox]") {
  Vm vm;
  const auto outcome = run_body(vm, R"(
    local names = {"io", "debug", "ffi", "jit", "package", "load", "loadstring", "loadfile",
                   "dofile", "module", "newproxy", "setfenv", "getfenv", "gcinfo"}
    local present = {}
    for _, name in ipairs(names) do
      if _G[name] ~= nil then present[#present + 1] = name end
    end
    return {present = weft.array(present), execute = os.execute == nil, dump = string.dump == nil,
            randomseed = math.randomseed == nil})");
  REQUIRE(outcome.ok());
  CHECK(outcome.output() == json(R"({"dump":true,"execute":true,"present":[],"randomseed":true})"));
}

TEST_CASE("os keeps time, clock and date", "[lua][sandbox]") {
  Vm vm;
  const auto outcome = run_body(vm, R"(
    return {time = os.time() > 1700000000, clock = os.clock() >= 0,
            date = os.date("!%Y-%m-%d", 0), stamp = os.time({year = 2026, month = 1, day = 2, hour = 12})})");
  REQUIRE(outcome.ok());
  CHECK(outcome.output().at("time") == true);
  CHECK(outcome.output().at("clock") == true);
  CHECK(outcome.output().at("date") == "1970-01-01");
  CHECK(outcome.output().at("stamp").is_int64());
}

TEST_CASE("shared tables are read-only and writes do not leak between scripts", "[lua][sandbox]") {
  Vm vm;
  const auto write_string = run_body(vm, "string.upper = function() return 'pwned' end");
  REQUIRE_FALSE(write_string.ok());
  CHECK(write_string.error().message.find("cannot modify read-only table 'string'") != std::string::npos);

  const auto write_weft = run_body(vm, "weft.fail = function() end");
  REQUIRE_FALSE(write_weft.ok());
  CHECK(write_weft.error().message.find("read-only table 'weft'") != std::string::npos);

  CHECK_FALSE(run_body(vm, "rawset(string, 'upper', print)").ok());
  CHECK_FALSE(run_body(vm, "table.insert(math, 1)").ok());
  CHECK_FALSE(run_body(vm, "weft.json.encode = nil").ok());
  CHECK_FALSE(run_body(vm, "setmetatable(_G, nil)").ok());

  // Replacing a global only changes the script's own environment.
  const auto shadow = run_body(vm, "string = {upper = function() return 'mine' end}; return string.upper('a')");
  REQUIRE(shadow.ok());
  CHECK(shadow.output() == "mine");

  const auto other = run(vm, R"(
    return function() return {string.upper("a"), ("b"):upper(), type(weft.fail), type(string)} end)");
  REQUIRE(other.ok());
  CHECK(other.output() == json(R"(["A","B","function","userdata"])"));
}

TEST_CASE("the string metatable is hidden", "[lua][sandbox]") {
  Vm vm;
  const auto seen = run_body(vm, "return getmetatable('')");
  REQUIRE(seen.ok());
  CHECK(seen.output() == "read-only");
  CHECK_FALSE(run_body(vm, "getmetatable('').__index = {upper = function() return 'x' end}").ok());
  CHECK_FALSE(run_body(vm, "getmetatable('').__index.upper = nil").ok());
  CHECK_FALSE(run_body(vm, "setmetatable('', {})").ok());
  const auto still = run_body(vm, "return ('abc'):upper()");
  REQUIRE(still.ok());
  CHECK(still.output() == "ABC");
}

TEST_CASE("globals a script sets persist for that script only", "[lua][sandbox]") {
  Vm vm;
  const char* counter = "return function() counter = (counter or 0) + 1; return counter end";
  CHECK(run(vm, counter).output() == 1);
  CHECK(run(vm, counter).output() == 2);
  const auto other = run_body(vm, "return counter");
  REQUIRE(other.ok());
  CHECK(other.output().is_null());
}

TEST_CASE("an endless loop times out and the VM keeps working", "[lua][sandbox]") {
  Vm vm;
  const auto started = std::chrono::steady_clock::now();
  const auto outcome = run(vm, "return function() while true do end end", nullptr, in(200ms));
  const auto elapsed = std::chrono::steady_clock::now() - started;
  REQUIRE_FALSE(outcome.ok());
  CHECK(outcome.error().code == "timeout");
  CHECK(outcome.error().retryable);
  CHECK(outcome.error().message.rfind("step exceeded its timeout of", 0) == 0);
  CHECK(elapsed >= 200ms);
  CHECK(elapsed < 400ms);
  CHECK(vm.stack_depth_for_test() == 0);

  const auto after = run_body(vm, "local n = 0 for i = 1, 100000 do n = n + i end return n");
  REQUIRE(after.ok());
  CHECK(after.output() == 5000050000LL);
}

TEST_CASE("a timeout cannot be caught by pcall, xpcall or coroutines", "[lua][sandbox]") {
  Vm vm;
  const char* bodies[] = {
      "while true do pcall(function() while true do end end) end",
      "while true do xpcall(function() while true do end end, function(e) return e end) end",
      "local co = coroutine.create(function() while true do end end)\n"
      "while true do coroutine.resume(co) end",
      "coroutine.wrap(function() while true do end end)()",
      "local ok = pcall(string.rep, 'x', 10) while true do end",
  };
  for (const char* body : bodies) {
    INFO(body);
    StepCall call;
    const std::string source = std::string("return function() ") + body + " end";
    call.script_source = source;
    call.chunk_name = "loop.lua";
    call.deadline = in(100ms);
    call.timeout = 100ms;
    const auto started = std::chrono::steady_clock::now();
    const auto outcome = vm.run_step(call);
    REQUIRE_FALSE(outcome.ok());
    CHECK(outcome.error().code == "timeout");
    CHECK(outcome.error().message == "step exceeded its timeout of 100ms");
    CHECK(std::chrono::steady_clock::now() - started < 300ms);
  }
  CHECK(run_body(vm, "return 1").output() == 1);
}

TEST_CASE("a growing table hits the memory limit", "[lua][sandbox]") {
  Vm vm(VmOptions{{}, 8u << 20});
  run_body(vm, "return 1");
  const std::size_t before = vm.memory_in_use();
  const auto outcome = run_body(vm, "local t = {} repeat t[#t + 1] = {i = #t} until false");
  REQUIRE_FALSE(outcome.ok());
  CHECK(outcome.error().code == "memory_limit");
  CHECK_FALSE(outcome.error().retryable);
  CHECK(outcome.error().message == "step exceeded its memory limit of 8 MiB");
  // The garbage is collected right after the breach.
  CHECK(vm.memory_in_use() < before + (1u << 20));
  CHECK(vm.stack_depth_for_test() == 0);
  CHECK(run_body(vm, "local t = {} for i = 1, 1000 do t[i] = i end return #t").output() == 1000);
}

TEST_CASE("garbage alone does not hit the memory limit", "[lua][sandbox]") {
  Vm vm(VmOptions{{}, 4u << 20});
  const auto outcome = run_body(vm, R"(
    local n = 0
    for i = 1, 200000 do local t = {i, tostring(i), {}} n = n + #t end
    return n)");
  REQUIRE(outcome.ok());
  CHECK(outcome.output() == 600000);
}

TEST_CASE("single C calls cannot allocate past the limit", "[lua][sandbox]") {
  Vm vm(VmOptions{{}, 16u << 20});
  const auto rep = run_body(vm, "return #string.rep('x', 1e10)");
  REQUIRE_FALSE(rep.ok());
  CHECK(rep.error().message.find("string.rep") != std::string::npos);
  CHECK_FALSE(run_body(vm, "return #('xy'):rep(1e9, ',')").ok());
  CHECK(run_body(vm, "return #string.rep('ab', 3, ',')").output() == 8);

  const auto concat = run_body(vm, R"(
    local t = {} for i = 1, 1000 do t[i] = 'x' end
    return #table.concat(t, string.rep('y', 1e6)))");
  REQUIRE_FALSE(concat.ok());
  CHECK(concat.error().code == "memory_limit");

  const auto gsub = run_body(vm, "local s = string.rep('a', 1e5) return #s:gsub('a', string.rep('b', 1e4))");
  REQUIRE_FALSE(gsub.ok());
  CHECK(gsub.error().code == "memory_limit");
  CHECK(run_body(vm, "return 'fine'").output() == "fine");
}

TEST_CASE("the cancel flag stops a step", "[lua][sandbox]") {
  Vm vm;
  std::atomic<bool> cancelled{false};
  StepCall call;
  call.script_source = "return function() while true do end end";
  call.chunk_name = "loop.lua";
  call.cancelled = &cancelled;
  call.deadline = in(5s);
  std::thread canceller([&] {
    std::this_thread::sleep_for(50ms);
    cancelled = true;
  });
  const auto started = std::chrono::steady_clock::now();
  const auto outcome = vm.run_step(call);
  canceller.join();
  REQUIRE_FALSE(outcome.ok());
  CHECK(outcome.error().code == "cancelled");
  CHECK(std::chrono::steady_clock::now() - started < 1s);
  CHECK(run_body(vm, "return true").output() == true);
}

TEST_CASE("collectgarbage('count') is allowed", "[lua][sandbox]") {
  Vm vm;
  const auto outcome = run_body(vm, "return collectgarbage('count') > 0");
  REQUIRE(outcome.ok());
  CHECK(outcome.output() == true);
}

TEST_CASE("print and ctx.log go to the log", "[lua][sandbox]") {
  std::ostringstream captured;
  auto previous = spdlog::default_logger();
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(captured);
  sink->set_pattern("%l %v");
  spdlog::set_default_logger(std::make_shared<spdlog::logger>("capture", sink));
  Vm vm;
  const auto outcome = run(vm, R"(
    return function(ctx)
      print("hello", 42, nil, true)
      ctx.log.warn("low stock", {sku = "SKU-1", left = 1})
      ctx.log.error("plain")
      return pcall(ctx.log.info, "bad fields", {print})
    end)");
  spdlog::set_default_logger(previous);
  REQUIRE(outcome.ok());
  CHECK(outcome.output() == false);
  const std::string text = captured.str();
  CHECK(text.find("info hello\t42\tnil\ttrue") != std::string::npos);
  CHECK(text.find("warning low stock") != std::string::npos);
  CHECK(text.find("error plain") != std::string::npos);
  CHECK(text.find("bad fields") == std::string::npos);
}

TEST_CASE("require loads modules from the modules folder only", "[lua][sandbox]") {
  const auto root = std::filesystem::temp_directory_path() /
                    ("weft-lua-require-" + std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
  std::filesystem::create_directories(root / "lib");
  const auto write = [&](const std::string& name, const std::string& text) {
    std::ofstream(root / name) << text;
  };
  write("lib/util.lua", "loads = (loads or 0) + 1\nreturn { double = function(x) return x * 2 end, loads = function() return loads end }");
  write("lib/broken.lua", "error('broken module')");
  write("lib/syntax.lua", "return {");
  write("lib/self.lua", "return require('lib.self')");
  write("secret.lua", "return 'top level module'");

  Vm vm(VmOptions{root, 64u << 20});
  const auto outcome = run_body(vm, R"(
    local util = require("lib.util")
    local again = require("lib.util")
    return {util.double(21), util == again, util.loads(), require("secret")})");
  REQUIRE(outcome.ok());
  CHECK(outcome.output() == json(R"([42,true,1,"top level module"])"));

  for (const char* name : {"../x", "lib/util", "/etc/passwd", "lib..util", ".lib", "lib.", "", "a b"}) {
    INFO(name);
    const auto rejected = run_body(vm, std::string("return require('") + name + "')");
    REQUIRE_FALSE(rejected.ok());
    CHECK(rejected.error().message.find("invalid module name") != std::string::npos);
  }
  const auto missing = run_body(vm, "return require('ffi')");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().message.find("module 'ffi' not found") != std::string::npos);

  const auto broken = run_body(vm, "return require('lib.broken')");
  REQUIRE_FALSE(broken.ok());
  CHECK(broken.error().message.find("lib/broken.lua:1: broken module") != std::string::npos);
  const auto syntax = run_body(vm, "return require('lib.syntax')");
  REQUIRE_FALSE(syntax.ok());
  CHECK(syntax.error().message.find("lib/syntax.lua:1:") != std::string::npos);
  const auto loop = run_body(vm, "return require('lib.self')");
  REQUIRE_FALSE(loop.ok());
  CHECK(loop.error().message.find("requires itself") != std::string::npos);
  CHECK(vm.stack_depth_for_test() == 0);

  Vm without;
  const auto unavailable = run_body(without, "return require('lib.util')");
  REQUIRE_FALSE(unavailable.ok());
  CHECK(unavailable.error().message.find("require is not available") != std::string::npos);
  std::filesystem::remove_all(root);
}
