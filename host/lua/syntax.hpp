// Compile-only checks of Lua source, for validation before anything runs.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace weft::lua {

struct SyntaxError {
  int line = 0;         // 1-based line inside `code` where Lua reports the error; 0 if unknown
  std::string message;  // Lua's message without the chunk-name prefix, e.g. "'=' expected near 'x'"
};

/// Compiles `code` without running it. nullopt when it compiles.
std::optional<SyntaxError> check_syntax(std::string_view code, std::string_view chunk_name);

/// Compiles `return (<expression>)`. nullopt when it is a valid Lua expression.
std::optional<SyntaxError> check_expression(std::string_view expression);

}  // namespace weft::lua
