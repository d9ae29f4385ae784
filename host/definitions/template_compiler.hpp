// Turns YAML values that may hold `${ lua }` into ValueTemplates (one Lua chunk
// that rebuilds the whole value) and `if:` conditions into Expressions, checking
// every expression with the Lua compiler and placing errors inside the scalar.
#pragma once

#include "definitions/definition.hpp"
#include "definitions/yaml_reader.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace weft::definitions {

/// An Expression with its ready-to-load `chunk`.
Expression make_expression(std::string code, SourceLocation location);

/// The template for `field`'s value (a null value is the constant null).
/// nullopt when something in it is wrong (reported).
std::optional<ValueTemplate> compile_template(const Field& field, YamlReader& reader);

/// A template that is just `value`, with a fresh id.
ValueTemplate constant_template(Json value, SourceLocation location);

/// An `if:` condition: a value that is exactly one `${ }` is unwrapped, anything
/// else is the expression itself. nullopt when it does not compile (reported).
std::optional<Expression> compile_condition(const Field& field, YamlReader& reader);

/// `"..."` with `\`, `"` and every byte outside printable ASCII as `\ddd`.
std::string lua_string_literal(std::string_view text);

}  // namespace weft::definitions
