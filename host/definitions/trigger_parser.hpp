// Reads `on:`, the event triggers of a workflow: type/source matchers, `where`
// conditions on dotted paths and the `if:` Lua condition.
#pragma once

#include "definitions/definition.hpp"
#include "definitions/yaml_reader.hpp"

#include <vector>

namespace weft::definitions {

/// The triggers in `on:` (a list, or one trigger mapping); reports every problem.
std::vector<Trigger> parse_triggers(const Field& field, YamlReader& reader);

}  // namespace weft::definitions
