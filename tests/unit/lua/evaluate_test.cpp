#include "lua_test_support.hpp"

using namespace weft;
using namespace weft::lua;
using namespace weft::lua::test;
using namespace std::chrono_literals;

TEST_CASE("an expression keeps its value's type", "[lua][evaluate]") {
  Vm vm;
  const Json input = json(R"({"qty":2,"sku":"SKU-1","price":2.5})");
  Scope scope{.input = &input};
  auto qty = vm.evaluate("return (input.qty\n)", scope);
  REQUIRE(qty.ok());
  CHECK(qty.output().is_int64());
  CHECK(qty.output() == 2);
  CHECK(vm.evaluate("return (input.qty > 10\n)", scope).output() == false);
  CHECK(vm.evaluate("return (input.price * input.qty\n)", scope).output() == 5);
  CHECK(vm.evaluate("return (input.price\n)", scope).output() == 2.5);
  CHECK(vm.evaluate("return (input.missing\n)", scope).output().is_null());
}

TEST_CASE("templates build objects and arrays", "[lua][evaluate]") {
  Vm vm;
  const Json input = json(R"({"sku":"SKU-1"})");
  const auto outcome = vm.evaluate(
      "return {[\"sku\"]=(input.sku\n), [\"n\"]=weft.array({1,2}), [\"none\"]=weft.array({})}",
      Scope{.input = &input});
  REQUIRE(outcome.ok());
  CHECK(outcome.output() == json(R"({"sku":"SKU-1","n":[1,2],"none":[]})"));
}

TEST_CASE("weft._text renders values for interpolation", "[lua][evaluate]") {
  Vm vm;
  const Json input = json(R"({"qty":2,"sku":"SKU-1","ratio":0.25,"tags":["a"],"gone":null})");
  const auto outcome = vm.evaluate(
      "return (\"inventory:\" .. weft._text(input.sku) .. \"/\" .. weft._text(input.qty) .. \"/\" .. "
      "weft._text(input.ratio) .. \"/\" .. weft._text(input.tags) .. \"/\" .. weft._text(input.gone) .. "
      "\"/\" .. weft._text(input.nothing) .. \"/\" .. weft._text(true) .. \"/\" .. weft._text(3.0) .. "
      "\"/\" .. weft._text({a = 1}) .. \"/\" .. weft._text(1e20)\n)",
      Scope{.input = &input});
  REQUIRE(outcome.ok());
  CHECK(outcome.output() == R"(inventory:SKU-1/2/0.25/["a"]///true/3/{"a":1}/1e+20)");
  const auto bad = vm.evaluate("return (weft._text(print)\n)", Scope{});
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message.find("cannot render a function value as text") != std::string::npos);
}

TEST_CASE("the scope holds event, input, steps and execution", "[lua][evaluate]") {
  Vm vm;
  const Json event = json(R"({"data":{"priority":"high"}})");
  const Json input = json(R"({"qty":3})");
  const Json steps = json(R"({"reserve":{"output":{"price":4},"status":"completed"}})");
  const Json execution = json(R"({"id":"e-1","trace_id":"t","workflow":"w","version":"1"})");
  const Scope scope{&event, &input, &steps, &execution};
  CHECK(vm.evaluate("return (steps.reserve.output.price * input.qty\n)", scope).output() == 12);
  CHECK(vm.evaluate("return (event.data.priority ~= \"low\"\n)", scope).output() == true);
  CHECK(vm.evaluate("return (execution.id .. steps.reserve.status\n)", scope).output() == "e-1completed");
  CHECK(vm.evaluate("return (event == nil and input == nil\n)", Scope{}).output() == true);
}

TEST_CASE("the same expression text sees each call's scope", "[lua][evaluate]") {
  Vm vm;
  const Json one = json(R"({"n":1})");
  const Json two = json(R"({"n":2})");
  CHECK(vm.evaluate("return (input.n\n)", Scope{.input = &one}).output() == 1);
  CHECK(vm.evaluate("return (input.n\n)", Scope{.input = &two}).output() == 2);
}

TEST_CASE("expression failures have code expression", "[lua][evaluate]") {
  Vm vm;
  const auto runtime = vm.evaluate("return (input.missing.x\n)", Scope{});
  REQUIRE_FALSE(runtime.ok());
  CHECK(runtime.error().code == "expression");
  CHECK_FALSE(runtime.error().retryable);
  CHECK(runtime.error().message.find("attempt to index global 'input' (a nil value)") != std::string::npos);

  const auto syntax = vm.evaluate("return (input.\n)", Scope{});
  REQUIRE_FALSE(syntax.ok());
  CHECK(syntax.error().code == "expression");
  CHECK(syntax.error().message.rfind("expression:", 0) == 0);

  const auto unconvertible = vm.evaluate("return (print\n)", Scope{});
  REQUIRE_FALSE(unconvertible.ok());
  CHECK(unconvertible.error().message.find("cannot convert function to JSON") != std::string::npos);
  CHECK(vm.stack_depth_for_test() == 0);
}

TEST_CASE("an endless expression times out", "[lua][evaluate]") {
  Vm vm;
  const auto started = std::chrono::steady_clock::now();
  const auto outcome = vm.evaluate("return ((function() while true do end end)()\n)", Scope{}, in(100ms));
  REQUIRE_FALSE(outcome.ok());
  CHECK(outcome.error().code == "expression");
  CHECK(outcome.error().message.rfind("expression exceeded its timeout of", 0) == 0);
  CHECK(std::chrono::steady_clock::now() - started < 300ms);
  CHECK(vm.evaluate("return (1 + 1\n)", Scope{}).output() == 2);
}

TEST_CASE("expressions cannot leave globals behind", "[lua][evaluate]") {
  Vm vm;
  CHECK(vm.evaluate("return ((function() leaked = 1 return leaked end)()\n)", Scope{}).output() == 1);
  CHECK(vm.evaluate("return (leaked\n)", Scope{}).output().is_null());
  CHECK(vm.evaluate("return ((function() leaked = 1 return leaked end)()\n)", Scope{}).output() == 1);
  CHECK_FALSE(vm.evaluate("return ((function() string.upper = nil end)()\n)", Scope{}).ok());
  CHECK(vm.evaluate("return (string.upper(\"a\")\n)", Scope{}).output() == "A");
}
