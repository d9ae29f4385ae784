#include "lua/syntax.hpp"

#include <lua.hpp>

#include <memory>
#include <string>

namespace weft::lua {
namespace {

// Lua prefixes compile errors with `[string "chunk"]:LINE:` or `chunk:LINE:`;
// split that off so callers can place the error in the YAML file themselves.
SyntaxError parse_message(std::string_view raw) {
  SyntaxError error{0, std::string(raw)};
  const auto close = raw.find("]:");
  std::size_t pos = close != std::string_view::npos ? close + 2 : raw.find(':');
  if (pos == std::string_view::npos) return error;
  if (close == std::string_view::npos) ++pos;
  int line = 0;
  std::size_t i = pos;
  while (i < raw.size() && raw[i] >= '0' && raw[i] <= '9') line = line * 10 + (raw[i++] - '0');
  if (i == pos || i >= raw.size() || raw[i] != ':') return error;
  error.line = line;
  error.message = std::string(raw.substr(i + 1));
  if (!error.message.empty() && error.message.front() == ' ') error.message.erase(0, 1);
  return error;
}

}  // namespace

std::optional<SyntaxError> check_syntax(std::string_view code, std::string_view chunk_name) {
  // A throwaway state per thread: compiling never runs code, so no sandbox is needed.
  thread_local std::unique_ptr<lua_State, decltype(&lua_close)> state(luaL_newstate(), &lua_close);
  lua_State* L = state.get();
  const std::string name = "=" + std::string(chunk_name);
  const int status = luaL_loadbuffer(L, code.data(), code.size(), name.c_str());
  if (status == 0) {
    lua_pop(L, 1);
    return std::nullopt;
  }
  size_t length = 0;
  const char* message = lua_tolstring(L, -1, &length);
  SyntaxError error = parse_message(message ? std::string_view(message, length) : "compile error");
  lua_pop(L, 1);
  return error;
}

std::optional<SyntaxError> check_expression(std::string_view expression) {
  // A newline before `)` keeps a trailing `--` comment from swallowing the parenthesis.
  const std::string chunk = "return (" + std::string(expression) + "\n)";
  return check_syntax(chunk, "expression");
}

}  // namespace weft::lua
