// Templates made only of `${ path }` are read from the scope's JSON without Lua;
// whatever they give must be what the Lua chunk gives.
#include "common/json.hpp"
#include "definitions/template_compiler.hpp"
#include "engine/step_runner.hpp"
#include "lua/vm.hpp"

#include <catch2/catch.hpp>
#include <yaml-cpp/yaml.h>

#include <string>

using namespace weft;
using weft::definitions::ValueTemplate;

namespace {

ValueTemplate compile(const std::string& yaml_value) {
  Diagnostics diagnostics;
  const std::string text = "value: " + yaml_value + "\n";
  definitions::YamlReader reader("t.yaml", text, diagnostics);
  const auto fields = reader.mapping(YAML::Load(text), "test");
  REQUIRE(fields.has_value());
  auto compiled = definitions::compile_template(fields->all().at(0), reader);
  REQUIRE(diagnostics.empty());
  REQUIRE(compiled.has_value());
  return std::move(*compiled);
}

struct Scope {
  Json event = parse_json(R"({"type":"order","data":{"sku":"S-1","qty":2,"tags":["a","b"],"gone":null,
                               "name":"x"}})").value();
  Json input = parse_json(R"({"sku":"S-1","qty":2,"big":9007199254740993})").value();
  Json steps = parse_json(R"({"reserve":{"output":{"left":7},"status":"completed"},
                              "empty":{"output":null,"status":"pending"}})").value();
  Json execution = parse_json(R"({"id":"e-1","trace_id":"t","workflow":"w","version":"1"})").value();
  lua::Scope view() const { return lua::Scope{&event, &input, &steps, &execution}; }
};

}  // namespace

TEST_CASE("a template of paths only is read from the scope and equals the Lua chunk's value",
          "[engine][template]") {
  lua::Vm vm;
  const Scope scope;
  for (const std::string yaml : {
           R"("${ input.qty }")",
           R"("${ event }")",
           R"("${ event.data.tags }")",
           R"("${ event.data.gone }")",
           R"({order: "${ input.sku }", left: "${ steps.reserve.output.left }", fixed: 3, none: null})",
           R"(["${ execution.id }", [1, "${ event . data . qty }"], {deep: {er: "${ steps.reserve }"}}, "text"])",
       }) {
    INFO(yaml);
    const auto value = compile(yaml);
    REQUIRE(value.paths.has_value());
    const auto direct = engine::evaluate_template(value, scope.view(), vm);
    const auto through_lua = vm.evaluate(value.lua_chunk, scope.view());
    REQUIRE(direct.ok());
    REQUIRE(through_lua.ok());
    CHECK(direct.output() == through_lua.output());
  }
}

TEST_CASE("a path read without Lua keeps integers Lua's numbers cannot hold", "[engine][template]") {
  // Also shows that the path was not evaluated by Lua, whose doubles round it.
  lua::Vm vm;
  const Scope scope;
  const auto value = compile(R"("${ input.big }")");
  REQUIRE(value.paths.has_value());
  CHECK(engine::evaluate_template(value, scope.view(), vm).output() == Json(9007199254740993LL));
  CHECK(vm.evaluate(value.lua_chunk, scope.view()).output() != Json(9007199254740993LL));
}

TEST_CASE("a path that leads to no value gives Lua's own result or error", "[engine][template]") {
  lua::Vm vm;
  const Scope scope;
  for (const std::string yaml : {
           R"({a: "${ input.missing }", b: 1})",     // Lua drops the key
           R"("${ steps.nobody.output }")",         // Lua: attempt to index a nil value
           R"("${ steps.empty.output.left }")",     // output is null: not indexable
           R"("${ event.data.name.len }")",         // a string's method: not JSON
           R"("${ event.data.tags.first }")",       // arrays have no named fields
       }) {
    INFO(yaml);
    const auto value = compile(yaml);
    REQUIRE(value.paths.has_value());
    const auto direct = engine::evaluate_template(value, scope.view(), vm);
    const auto through_lua = vm.evaluate(value.lua_chunk, scope.view());
    REQUIRE(direct.ok() == through_lua.ok());
    if (direct.ok()) {
      CHECK(direct.output() == through_lua.output());
    } else {
      CHECK(direct.error().message == through_lua.error().message);
    }
  }
  // A scope without the root (routing has no steps yet) is Lua's business too.
  const auto value = compile(R"("${ steps.reserve }")");
  const auto direct = engine::evaluate_template(value, lua::Scope{&scope.event}, vm);
  REQUIRE_FALSE(direct.ok());
  CHECK(direct.error().message == vm.evaluate(value.lua_chunk, lua::Scope{&scope.event}).error().message);
  CHECK(direct.error().message.find("steps") != std::string::npos);
}

TEST_CASE("templates with anything but whole-value paths are left to Lua", "[engine][template]") {
  for (const std::string yaml : {
           R"("order ${ input.sku }")",
           R"("${ input.qty * 2 }")",
           R"("${ input['sku'] }")",
           R"("${ math.pi }")",
           R"("${ input.sku or 'none' }")",
           R"({a: "${ input.sku }", b: "${ input.qty + 1 }"})",
       }) {
    INFO(yaml);
    CHECK_FALSE(compile(yaml).paths.has_value());
  }
  CHECK_FALSE(compile("3").paths.has_value());  // a constant needs neither
}
