#include "lua/convert.hpp"

#include "lua_test_support.hpp"

#include <lua.hpp>

#include <memory>

using namespace weft;
using namespace weft::lua;
using namespace weft::lua::test;

namespace {

// A bare state with only what convert needs; conversions here never raise.
struct BareState {
  BareState() : L(luaL_newstate()) {
    luaL_openlibs(L);  // only to make test values; this state is no sandbox
    open_convert(L);
  }
  ~BareState() { lua_close(L); }
  Json round_trip(const Json& value) {
    push_json(L, value);
    std::string error;
    auto back = to_json(L, -1, &error);
    lua_pop(L, 1);
    INFO(error);
    REQUIRE(back.has_value());
    return *back;
  }
  lua_State* L;
};

}  // namespace

TEST_CASE("JSON values round-trip through Lua", "[lua][convert]") {
  BareState state;
  for (const char* text : {
           "null", "true", "false", "0", "-7", "2.5", "\"text\"", "[]", "{}", "[null]", "[1,null,3]",
           R"({"a":null})", R"({"a":{"b":[1,[2,[]],{}]},"c":"x"})", "[[],[[]],{}]", "9007199254740992",
           "-9007199254740992", "1E300", "[true,false]", R"({"1":"one","x":"y"})",
       }) {
    INFO(text);
    CHECK(state.round_trip(json(text)) == json(text));
  }
  CHECK(state.round_trip(Json(boost::json::string("a\0b", 3))) == Json(boost::json::string("a\0b", 3)));
}

TEST_CASE("integral numbers become int64, others double", "[lua][convert]") {
  BareState state;
  CHECK(state.round_trip(json("3")).is_int64());
  CHECK(state.round_trip(json("3.0")).is_int64());
  CHECK(state.round_trip(json("3.5")).is_double());
  // Beyond 2^53 a whole double is only an approximation: it stays a double.
  const Json big = state.round_trip(json("18446744073709551615"));
  CHECK(big.is_double());
  CHECK(big.as_double() == 18446744073709551615.0);
  CHECK(state.round_trip(json("100000000000000000")).is_double());
}

TEST_CASE("Lua tables choose array or object by their keys", "[lua][convert]") {
  Vm vm;
  const auto outcome = run_body(vm, R"(
    return {
      list = {1, 2, 3},
      empty = {},
      empty_array = weft.array(),
      marked = weft.array({}),
      holes = {[1] = "a", [3] = "c"},
      float_key = {[1.5] = 1},
      mixed = {1, 2, x = 3},
      nested = {{}, weft.array({weft.null})},
      zero = {[0] = "z"},
    })");
  REQUIRE(outcome.ok());
  CHECK(outcome.output() == json(R"({
      "list":[1,2,3], "empty":{}, "empty_array":[], "marked":[],
      "holes":{"1":"a","3":"c"}, "float_key":{"1.5":1}, "mixed":{"1":1,"2":2,"x":3},
      "nested":[{},[null]], "zero":{"0":"z"}})"));
}

TEST_CASE("values without a JSON form are refused with a reason", "[lua][convert]") {
  BareState state;
  const auto check_refused = [&](const char* code, const char* reason) {
    INFO(code);
    REQUIRE(luaL_dostring(state.L, code) == 0);
    std::string error;
    CHECK_FALSE(to_json(state.L, -1, &error).has_value());
    CHECK(error.find(reason) != std::string::npos);
    lua_settop(state.L, 0);
  };
  check_refused("return print", "cannot convert function to JSON");
  check_refused("return {a = {b = print}}", "cannot convert function to JSON");
  check_refused("return coroutine.create(print)", "cannot convert thread to JSON");
  check_refused("return 0/0", "NaN or infinity");
  check_refused("return {x = 1/0}", "NaN or infinity");
  check_refused("return {[true] = 1}", "table key of type boolean");
  check_refused("local t = {} t[1] = t return t", "nested too deeply");
  check_refused("return {[1] = 'a', ['1'] = 'b'}", "both a number and a string key");
  lua_newuserdata(state.L, 8);
  std::string error;
  CHECK_FALSE(to_json(state.L, -1, &error).has_value());
  CHECK(error == "cannot convert userdata to JSON");
  lua_settop(state.L, 0);
}

TEST_CASE("marked arrays keep holes as null but refuse other keys", "[lua][convert]") {
  BareState state;
  REQUIRE(luaL_dostring(state.L, "return {[1] = 'a', [3] = 'c'}") == 0);
  mark_array(state.L, -1);
  std::string error;
  auto value = to_json(state.L, -1, &error);
  REQUIRE(value.has_value());
  CHECK(*value == json(R"(["a",null,"c"])"));
  lua_settop(state.L, 0);

  REQUIRE(luaL_dostring(state.L, "return {1, x = 2}") == 0);
  mark_array(state.L, -1);
  CHECK_FALSE(to_json(state.L, -1, &error).has_value());
  CHECK(error.find("non-integer keys") != std::string::npos);
  lua_settop(state.L, 0);
  CHECK(lua_gettop(state.L) == 0);
}

TEST_CASE("deeply nested JSON is refused both ways", "[lua][convert]") {
  Json input = JsonArray{};
  for (int i = 0; i < kMaxJsonDepth + 5; ++i) input = JsonArray{input};
  Vm vm;
  const auto outcome = run(vm, "return function(ctx, input) return 1 end", input);
  REQUIRE_FALSE(outcome.ok());
  CHECK(outcome.error().message.find("nested too deeply") != std::string::npos);
  CHECK(vm.stack_depth_for_test() == 0);

  const auto deep_output = run_body(vm, "local t = {} for i = 1, 300 do t = {t} end return t");
  REQUIRE_FALSE(deep_output.ok());
  CHECK(deep_output.error().code == "invalid_output");
}
