// Turns "start workflow W with this input / for this event" into the row that
// the store inserts: input and key templates evaluated, version pinned.
// Shared by event routing and by explicit starts (CLI, HTTP).
#pragma once

#include "definitions/definition.hpp"
#include "lua/vm.hpp"
#include "store/records.hpp"

#include <optional>
#include <string>

namespace weft::engine {

struct PlanRequest {
  const Json* event = nullptr;       // the CloudEvent document, or null for API starts
  std::optional<Json> input;         // explicit input (API starts); else from the definition
  std::optional<std::string> key;    // explicit key; else the definition's `key:` template
  std::string trace_id;
  std::optional<std::string> event_source;
  std::optional<std::string> event_id;
};

struct Plan {
  std::optional<store::NewExecution> execution;
  std::string error;  // one clear line when `execution` is empty
};

Plan plan_execution(const definitions::Definition& definition, const PlanRequest& request,
                    lua::Vm& vm);

/// The stored snapshot of a definition (what pins an execution's version).
store::DefinitionSnapshot snapshot_of(const definitions::Definition& definition);

}  // namespace weft::engine
