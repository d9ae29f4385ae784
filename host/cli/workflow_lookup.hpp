// Finds one workflow definition by id in a workflows directory, with clear errors.
#pragma once

#include "definitions/definition.hpp"

#include <string>

namespace weft::cli {

/// Loads `directory` and returns workflow `id`. RuntimeError when the directory
/// does not load cleanly enough to find it; UsageError when there is no such workflow.
definitions::DefinitionPtr find_workflow(const std::string& directory, const std::string& id);

}  // namespace weft::cli
