#include "common/json.hpp"
#include "definitions/content_hash.hpp"
#include "definitions/interpolation.hpp"
#include "definitions/template_compiler.hpp"
#include "definitions_test_support.hpp"
#include "lua/syntax.hpp"

#include <catch2/catch.hpp>
#include <lua.hpp>

#include <algorithm>
#include <cstdio>
#include <memory>

using namespace weft::definitions;
using weft::Diagnostics;
using weft::Json;
using weft::definitions::testing::render;

namespace {

struct Compiled {
  std::optional<ValueTemplate> value;
  Diagnostics diagnostics;
};

// Compiles the value of `value:` in `yaml_value_line` (written after `value: `).
Compiled compile(const std::string& yaml_value) {
  Compiled compiled;
  const std::string text = "value: " + yaml_value + "\n";
  YamlReader reader("t.yaml", text, compiled.diagnostics);
  const YAML::Node root = YAML::Load(text);
  const auto fields = reader.mapping(root, "test");
  REQUIRE(fields.has_value());
  compiled.value = compile_template(fields->all().at(0), reader);
  return compiled;
}

ValueTemplate compile_ok(const std::string& yaml_value) {
  auto compiled = compile(yaml_value);
  INFO(render(compiled.diagnostics));
  REQUIRE(compiled.diagnostics.empty());
  REQUIRE(compiled.value.has_value());
  return std::move(*compiled.value);
}

// Renders a Lua value canonically: tables marked by the stub weft.array as
// [..], other tables as {k=v} with sorted keys, weft.null as null.
std::string show(lua_State* L, int index) {
  if (index < 0) index = lua_gettop(L) + index + 1;
  switch (lua_type(L, index)) {
    case LUA_TNIL:
      return "nil";
    case LUA_TBOOLEAN:
      return lua_toboolean(L, index) ? "true" : "false";
    case LUA_TNUMBER: {
      char buffer[32];
      std::snprintf(buffer, sizeof buffer, "%.14g", lua_tonumber(L, index));
      return buffer;
    }
    case LUA_TSTRING:
      return "'" + std::string(lua_tostring(L, index)) + "'";
    case LUA_TLIGHTUSERDATA:
      return "null";
    case LUA_TTABLE: {
      const bool array = lua_getmetatable(L, index) != 0;
      if (array) lua_pop(L, 1);
      std::vector<std::string> items;
      if (array) {
        for (int i = 1; i <= static_cast<int>(lua_objlen(L, index)); ++i) {
          lua_rawgeti(L, index, i);
          items.push_back(show(L, -1));
          lua_pop(L, 1);
        }
      } else {
        lua_pushnil(L);
        while (lua_next(L, index) != 0) {
          items.push_back(std::string(lua_tostring(L, -2)) + "=" + show(L, -1));
          lua_pop(L, 1);
        }
        std::sort(items.begin(), items.end());
      }
      std::string text = array ? "[" : "{";
      for (std::size_t i = 0; i < items.size(); ++i) text += (i ? "," : "") + items[i];
      return text + (array ? "]" : "}");
    }
    default:
      return "?";
  }
}

// Runs a template chunk in a bare LuaJIT with a stand-in for the weft helpers
// the real VM provides, and `input = {sku = "S-1", qty = 2, flag = true}`.
std::string evaluate(const std::string& chunk) {
  std::unique_ptr<lua_State, decltype(&lua_close)> state(luaL_newstate(), &lua_close);
  lua_State* L = state.get();
  luaL_openlibs(L);
  const char* prelude =
      "weft = { null = ... }\n"
      "local array_mt = {}\n"
      "function weft.array(t) return setmetatable(t, array_mt) end\n"
      "function weft._text(v) if v == weft.null then return 'null' end return tostring(v) end\n"
      "input = { sku = 'S-1', qty = 2, flag = true }\n";
  REQUIRE(luaL_loadstring(L, prelude) == 0);
  lua_pushlightuserdata(L, nullptr);
  REQUIRE(lua_pcall(L, 1, 0, 0) == 0);
  if (luaL_loadbuffer(L, chunk.data(), chunk.size(), "template") != 0 || lua_pcall(L, 0, 1, 0) != 0) {
    FAIL("chunk failed: " << lua_tostring(L, -1) << "\n" << chunk);
  }
  return show(L, -1);
}

}  // namespace

TEST_CASE("values without ${ } are constants and skip Lua", "[definitions][template]") {
  const auto value = compile_ok(R"({a: 1, b: [true, null, "x", ~], c: 1.5, d: "123", e: 0x1f, f: -7, g: 1e3, h: {}})");
  CHECK(value.is_constant);
  CHECK(value.lua_chunk.empty());
  CHECK(value.expressions.empty());
  CHECK(value.constant ==
        *weft::parse_json(R"({"a":1,"b":[true,null,"x",null],"c":1.5,"d":"123","e":31,"f":-7,"g":1000.0,"h":{}})"));
  CHECK(value.constant.as_object().at("a").is_int64());
  CHECK(value.constant.as_object().at("g").is_double());
  CHECK(value.location.line == 1);
  CHECK(value.location.column == 8);

  const auto text = compile_ok("plain words");
  CHECK(text.is_constant);
  CHECK(text.constant == Json("plain words"));
  CHECK(compile_ok("").constant.is_null());
  CHECK(compile_ok("'true'").constant == Json("true"));
  CHECK(compile_ok("True").constant == Json(true));
}

TEST_CASE("a value that is exactly one ${ } keeps the expression's type", "[definitions][template]") {
  const auto value = compile_ok("${ input.qty }");
  CHECK_FALSE(value.is_constant);
  CHECK(value.lua_chunk == "return (input.qty\n)");
  REQUIRE(value.expressions.size() == 1);
  CHECK(value.expressions[0].code == "input.qty");
  CHECK(value.expressions[0].chunk == "return (input.qty\n)");
  CHECK(value.expressions[0].location.column == 8);
  CHECK(evaluate(value.lua_chunk) == "2");

  CHECK(compile_ok("\"  ${ input.flag }  \"").lua_chunk == "return (input.flag\n)");
  CHECK(evaluate(compile_ok("\"  ${ input.flag }  \"").lua_chunk) == "true");
}

TEST_CASE("text mixed with ${ } interpolates", "[definitions][template]") {
  const auto value = compile_ok("\"inventory:${ input.sku }/${input.qty}!\"");
  CHECK(value.lua_chunk == "return (\"inventory:\" .. weft._text(input.sku\n) .. \"/\" .. weft._text(input.qty\n) .. \"!\")");
  CHECK(value.expressions.size() == 2);
  CHECK(value.expressions[1].location.column == 34);
  CHECK(evaluate(value.lua_chunk) == "'inventory:S-1/2!'");
  CHECK(evaluate(compile_ok("\"${ input.qty }${ input.qty }\"").lua_chunk) == "'22'");
}

TEST_CASE("a template rebuilds nested mappings and lists around expressions", "[definitions][template]") {
  const auto value =
      compile_ok(R"({sku: "${ input.sku }", qty: "${ input.qty * 2 }", tags: [a, "${ input.flag }", 3, null], n: {}, l: []})");
  CHECK_FALSE(value.is_constant);
  CHECK(value.constant.is_null());
  CHECK(weft::lua::check_syntax(value.lua_chunk, "template") == std::nullopt);
  CHECK(evaluate(value.lua_chunk) == "{l=[],n={},qty=4,sku='S-1',tags=['a',true,3,null]}");
  CHECK(value.lua_chunk.find("weft.array({") != std::string::npos);
  CHECK(value.lua_chunk.find("weft.null") != std::string::npos);
}

TEST_CASE("strings become escaped Lua literals that round-trip", "[definitions][template]") {
  CHECK(lua_string_literal("a\"b\\c") == R"("a\"b\\c")");
  CHECK(lua_string_literal("line\nnext\t1") == R"("line\010next\0091")");
  CHECK(lua_string_literal("\xc3\xa9") == R"("\195\169")");
  CHECK(lua_string_literal(std::string("nul\0byte", 8)) == R"("nul\000byte")");
  const auto value = compile_ok(R"({text: "quote \" back \\ tab \t é ]] ${ input.sku }"})");
  CHECK(evaluate(value.lua_chunk) == "{text='quote \" back \\ tab \t \xc3\xa9 ]] S-1'}");
}

TEST_CASE("expressions may hold braces and strings with }", "[definitions][template]") {
  const auto value = compile_ok(R"("${ ({ a = '}' }).a }")");
  REQUIRE(value.expressions.size() == 1);
  CHECK(value.expressions[0].code == "({ a = '}' }).a");
  CHECK(evaluate(value.lua_chunk) == "'}'");
  CHECK(evaluate(compile_ok(R"("${ input.qty --[[ a comment with } ]] }")").lua_chunk) == "2");
  // A line comment runs to the end of the line, so it hides a `}` on the same line.
  CHECK(compile(R"("${ input.qty -- comment }")").diagnostics.size() == 1);
}

TEST_CASE("bad ${ } are reported inside the scalar", "[definitions][template]") {
  const auto unterminated = compile("\"abc ${ input.x\"");
  CHECK_FALSE(unterminated.value.has_value());
  REQUIRE(unterminated.diagnostics.size() == 1);
  CHECK(unterminated.diagnostics[0].to_string() == "t.yaml:1:13: unterminated `${` (no matching `}`)");

  const auto empty = compile("x ${  }");
  REQUIRE(empty.diagnostics.size() == 1);
  CHECK(empty.diagnostics[0].location.column == 10);

  const auto bad = compile("[ok, \"${ 1 + }\"]");
  REQUIRE(bad.diagnostics.size() == 1);
  CHECK(bad.diagnostics[0].location.column == 14);
  CHECK(bad.diagnostics[0].message.find("not a valid Lua expression") != std::string::npos);

  // `1), (2` compiles as `return (1), (2)` but would add a second value to the constructor.
  const auto sneaky = compile("{k: \"${ 1), (2 }\"}");
  CHECK_FALSE(sneaky.value.has_value());
  REQUIRE(sneaky.diagnostics.size() == 1);
  CHECK(sneaky.diagnostics[0].message.find("single expression") != std::string::npos);

  const auto duplicate = compile("{a: 1, a: 2}");
  REQUIRE(duplicate.diagnostics.size() == 1);
  CHECK(duplicate.diagnostics[0].message == "duplicate key `a`");
}

TEST_CASE("every template gets a process-unique id", "[definitions][template]") {
  const auto a = compile_ok("1");
  const auto b = compile_ok("1");
  const auto c = compile_ok("${ 1 }");
  CHECK(a.id != 0);
  CHECK(a.id != b.id);
  CHECK(b.id != c.id);
}

TEST_CASE("interpolation splits text and expressions", "[definitions][template]") {
  const auto parts = split_interpolations("a ${ x } b ${y}");
  CHECK_FALSE(parts.error.has_value());
  REQUIRE(parts.segments.size() == 4);
  CHECK(parts.segments[0].text == "a ");
  CHECK(parts.segments[1].is_expression);
  CHECK(parts.segments[1].text == "x");
  CHECK(parts.segments[3].text == "y");
  CHECK(parts.segments[3].ordinal == 1);
  CHECK(parts.sole_expression() == nullptr);
  CHECK(split_interpolations(" ${ [[}]] } ").sole_expression() != nullptr);
  CHECK(split_interpolations("${ x } ${").error.has_value());
  CHECK(split_interpolations("${ x } ${").error_ordinal == 1);
}

TEST_CASE("sha256 matches the standard test vectors", "[definitions][hash]") {
  CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  CHECK(sha256_hex(std::string(1000, 'a')) == "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3");
}

TEST_CASE("the content hash covers the YAML and each script, not the file's path", "[definitions][hash]") {
  SourceBundle bundle{"a/wf.yaml", "id: x\n", {{"s.lua", "return 1"}}};
  const auto hash = content_hash(bundle);
  CHECK(content_hash(bundle) == hash);
  bundle.path = "elsewhere/wf.yaml";
  CHECK(content_hash(bundle) == hash);
  auto changed = bundle;
  changed.scripts["s.lua"] = "return 2";
  CHECK(content_hash(changed) != hash);
  auto renamed = bundle;
  renamed.scripts = {{"t.lua", "return 1"}};
  CHECK(content_hash(renamed) != hash);
  auto moved = bundle;
  moved.yaml = "id: x\ns.lua";
  moved.scripts = {{"", "return 1"}};
  CHECK(content_hash(moved) != hash);
}

TEST_CASE("self-referencing and exploding aliases are refused, not followed", "[definitions][template]") {
  const auto cyclic = compile("&a [1, *a]");
  CHECK_FALSE(cyclic.value.has_value());
  REQUIRE(cyclic.diagnostics.size() == 1);
  CHECK(cyclic.diagnostics[0].message.find("too deeply") != std::string::npos);

  std::string laughs = "{l0: &l0 [x, x, x, x, x, x, x, x, x, x]";
  for (int i = 1; i < 9; ++i) {
    laughs += ", l" + std::to_string(i) + ": &l" + std::to_string(i) + " [";
    for (int j = 0; j < 10; ++j) laughs += std::string(j ? ", " : "") + "*l" + std::to_string(i - 1);
    laughs += "]";
  }
  laughs += "}";
  const auto exploding = compile(laughs);
  CHECK_FALSE(exploding.value.has_value());
  CHECK(exploding.diagnostics.size() == 1);
}
