#include "lua/convert.hpp"

#include "lua/registry.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <utility>
#include <vector>

namespace weft::lua {
namespace {

const char kNullSentinel = 0;

// Doubles up to 2^53 are exact integers; beyond that a "whole" double is only
// an approximation and stays a double.
constexpr double kMaxExactInteger = 9007199254740992.0;

// Marked arrays may have holes (become null) but not absurd ones: {[1e9] = 1}
// would otherwise turn into a billion nulls.
constexpr std::size_t kMaxArrayHoles = 1000;

bool is_integral(double number) {
  return std::isfinite(number) && number == std::floor(number) && std::fabs(number) <= kMaxExactInteger;
}

std::string number_key(double number) {
  char buffer[64];
  if (is_integral(number)) {
    std::snprintf(buffer, sizeof buffer, "%lld", static_cast<long long>(number));
  } else {
    std::snprintf(buffer, sizeof buffer, "%.17g", number);
  }
  return buffer;
}

class Converter {
 public:
  Converter(lua_State* L, std::string* error) : L_(L), error_(error) {}

  std::optional<Json> convert(int index, int depth) {
    switch (lua_type(L_, index)) {
      case LUA_TNIL:
        return Json(nullptr);
      case LUA_TBOOLEAN:
        return Json(lua_toboolean(L_, index) != 0);
      case LUA_TNUMBER:
        return number(lua_tonumber(L_, index));
      case LUA_TSTRING: {
        std::size_t length = 0;
        const char* text = lua_tolstring(L_, index, &length);  // a string already: no allocation
        return Json(boost::json::string(text, length));
      }
      case LUA_TLIGHTUSERDATA:
        if (is_null(L_, index)) return Json(nullptr);
        return fail("cannot convert userdata to JSON");
      case LUA_TTABLE:
        return table(index, depth);
      default:
        return fail(std::string("cannot convert ") + lua_typename(L_, lua_type(L_, index)) +
                    " to JSON");
    }
  }

 private:
  std::optional<Json> fail(std::string message) {
    if (error_ != nullptr) *error_ = std::move(message);
    return std::nullopt;
  }

  std::optional<Json> number(double value) {
    if (!std::isfinite(value)) return fail("cannot convert NaN or infinity to JSON");
    if (is_integral(value)) return Json(static_cast<std::int64_t>(value));
    return Json(value);
  }

  struct Shape {
    std::size_t count = 0;
    bool positive_integer_keys = true;
    double max_key = 0;
  };

  void scan(int index, Shape& shape) {
    lua_pushnil(L_);  // [key]
    while (lua_next(L_, index) != 0) {  // [key, value]
      ++shape.count;
      if (lua_type(L_, -2) == LUA_TNUMBER) {
        const double key = lua_tonumber(L_, -2);
        if (key >= 1 && is_integral(key)) {
          shape.max_key = std::max(shape.max_key, key);
        } else {
          shape.positive_integer_keys = false;
        }
      } else {
        shape.positive_integer_keys = false;
      }
      lua_pop(L_, 1);  // [key]
    }
  }

  std::optional<Json> table(int index, int depth) {
    if (depth >= kMaxJsonDepth) return fail("value is nested too deeply for JSON (or contains a cycle)");
    if (!lua_checkstack(L_, 4)) return fail("value is nested too deeply for JSON");
    if (index < 0) index = lua_gettop(L_) + index + 1;
    Shape shape;
    scan(index, shape);
    const bool marked = is_marked_array(L_, index);
    if (marked) {
      if (!shape.positive_integer_keys) return fail("cannot convert an array with non-integer keys to JSON");
      if (shape.max_key > static_cast<double>(shape.count + kMaxArrayHoles))
        return fail("cannot convert a sparse array to JSON");
      return array(index, static_cast<std::size_t>(shape.max_key), depth);
    }
    if (shape.count > 0 && shape.positive_integer_keys &&
        shape.max_key == static_cast<double>(shape.count))
      return array(index, shape.count, depth);
    return object(index, depth);
  }

  std::optional<Json> array(int index, std::size_t length, int depth) {
    JsonArray items;
    items.reserve(length);
    for (std::size_t i = 1; i <= length; ++i) {
      lua_rawgeti(L_, index, static_cast<int>(i));  // [item]
      auto item = convert(lua_gettop(L_), depth + 1);
      lua_pop(L_, 1);
      if (!item) return std::nullopt;
      items.push_back(std::move(*item));
    }
    return Json(std::move(items));
  }

  std::optional<Json> object(int index, int depth) {
    std::vector<std::pair<std::string, Json>> fields;
    lua_pushnil(L_);                      // [key]
    while (lua_next(L_, index) != 0) {    // [key, value]
      std::string key;
      const int key_type = lua_type(L_, -2);
      if (key_type == LUA_TSTRING) {
        std::size_t length = 0;
        const char* text = lua_tolstring(L_, -2, &length);
        key.assign(text, length);
      } else if (key_type == LUA_TNUMBER) {
        // Never lua_tolstring here: it would turn the key into a string and break lua_next.
        const double number = lua_tonumber(L_, -2);
        if (!std::isfinite(number)) {
          lua_pop(L_, 2);
          return fail("cannot convert a NaN or infinite table key to JSON");
        }
        key = number_key(number);
      } else {
        lua_pop(L_, 2);
        return fail(std::string("cannot convert a table key of type ") +
                    lua_typename(L_, key_type) + " to JSON");
      }
      auto value = convert(lua_gettop(L_), depth + 1);
      lua_pop(L_, 1);  // [key]
      if (!value) {
        lua_pop(L_, 1);
        return std::nullopt;
      }
      fields.emplace_back(std::move(key), std::move(*value));
    }
    // Sorted keys make the JSON text of a value deterministic (lua_next order is not).
    std::sort(fields.begin(), fields.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    JsonObject result;
    result.reserve(fields.size());
    for (std::size_t i = 0; i < fields.size(); ++i) {
      if (i > 0 && fields[i].first == fields[i - 1].first)
        return fail("cannot convert a table with both a number and a string key \"" +
                    fields[i].first + "\" to JSON");
      result.emplace(fields[i].first, std::move(fields[i].second));
    }
    return Json(std::move(result));
  }

  lua_State* L_;
  std::string* error_;
};

void push_value(lua_State* L, const Json& value, int depth) {
  switch (value.kind()) {
    case boost::json::kind::null:
      push_null(L);
      return;
    case boost::json::kind::bool_:
      lua_pushboolean(L, value.get_bool() ? 1 : 0);
      return;
    case boost::json::kind::int64:
      lua_pushnumber(L, static_cast<lua_Number>(value.get_int64()));
      return;
    case boost::json::kind::uint64:
      lua_pushnumber(L, static_cast<lua_Number>(value.get_uint64()));
      return;
    case boost::json::kind::double_:
      lua_pushnumber(L, value.get_double());
      return;
    case boost::json::kind::string: {
      const auto& text = value.get_string();
      lua_pushlstring(L, text.data(), text.size());
      return;
    }
    case boost::json::kind::array: {
      if (depth >= kMaxJsonDepth) luaL_error(L, "JSON value is nested too deeply");
      luaL_checkstack(L, 3, "JSON value is nested too deeply");
      const auto& items = value.get_array();
      lua_createtable(L, static_cast<int>(items.size()), 0);  // [array]
      int i = 0;
      for (const auto& item : items) {
        push_value(L, item, depth + 1);  // [array, item]
        lua_rawseti(L, -2, ++i);
      }
      mark_array(L, -1);
      return;
    }
    case boost::json::kind::object: {
      if (depth >= kMaxJsonDepth) luaL_error(L, "JSON value is nested too deeply");
      luaL_checkstack(L, 3, "JSON value is nested too deeply");
      const auto& fields = value.get_object();
      lua_createtable(L, 0, static_cast<int>(fields.size()));  // [object]
      for (const auto& field : fields) {
        lua_pushlstring(L, field.key().data(), field.key().size());  // [object, key]
        push_value(L, field.value(), depth + 1);                    // [object, key, value]
        lua_rawset(L, -3);
      }
      return;
    }
  }
}

}  // namespace

void open_convert(lua_State* L) {
  lua_createtable(L, 0, 1);  // [mt]
  // Scripts may see the marker (getmetatable) but not change the shared table.
  lua_pushliteral(L, "weft.array");
  lua_setfield(L, -2, "__metatable");
  set_registry(L, kArrayMetatableKey);
}

void push_null(lua_State* L) { lua_pushlightuserdata(L, const_cast<char*>(&kNullSentinel)); }

bool is_null(lua_State* L, int index) {
  return lua_islightuserdata(L, index) && lua_touserdata(L, index) == &kNullSentinel;
}

void mark_array(lua_State* L, int index) {
  if (index < 0) index = lua_gettop(L) + index + 1;
  push_registry(L, kArrayMetatableKey);  // [..., mt]
  lua_setmetatable(L, index);
}

bool is_marked_array(lua_State* L, int index) { return has_metatable(L, index, kArrayMetatableKey); }

void push_json(lua_State* L, const Json& value) { push_value(L, value, 0); }

void push_json_or_nil(lua_State* L, const Json* value) {
  if (value == nullptr) {
    lua_pushnil(L);
  } else {
    push_json(L, *value);
  }
}

std::optional<Json> to_json(lua_State* L, int index, std::string* error) {
  if (index < 0) index = lua_gettop(L) + index + 1;
  const int top = lua_gettop(L);
  try {
    return Converter(L, error).convert(index, 0);
  } catch (const std::exception& e) {
    // Only std::bad_alloc from building the Json; no Lua call in there raises.
    lua_settop(L, top);
    if (error != nullptr) *error = e.what();
    return std::nullopt;
  }
}

}  // namespace weft::lua
