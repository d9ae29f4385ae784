// Validates one workflow's YAML text into a Definition: the top-level keys,
// `defaults`, triggers, templates and steps, then the `after` graph. Reads
// scripts only through a ScriptSource, so disk and stored bundles share it.
#pragma once

#include "definitions/loader.hpp"
#include "definitions/script_collector.hpp"

#include <string>

namespace weft::definitions {

/// `file` names the YAML in messages and its folder names scripts. Never throws.
LoadResult parse_definition(const std::string& file, const std::string& yaml, const ScriptSource& scripts,
                            const LoadOptions& options);

/// True for ids like `order-fulfilment`: `[a-z0-9][a-z0-9-_.]*`.
bool valid_workflow_id(std::string_view id);

}  // namespace weft::definitions
