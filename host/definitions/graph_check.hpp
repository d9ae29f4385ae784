// Resolves each step's `after` list (absent: the previous step in file order)
// and reports dependencies on unknown steps and cycles, naming the cycle.
#pragma once

#include "common/diagnostic.hpp"

#include <string>
#include <vector>

namespace weft::definitions {

struct Dependency {
  std::string step_id;
  SourceLocation location;  // the entry in `after:`
};

struct StepDependencies {
  std::string step_id;
  SourceLocation location;  // the step
  bool declared = false;    // `after:` was written (possibly `[]`)
  std::vector<Dependency> after;
};

/// Fills in the default dependency of steps without `after:`, then reports
/// unknown ids and cycles into `out`. Steps are in file order; ids are unique
/// (duplicates are reported before this runs and only the first counts).
void resolve_dependencies(std::vector<StepDependencies>& steps, Diagnostics& out);

}  // namespace weft::definitions
