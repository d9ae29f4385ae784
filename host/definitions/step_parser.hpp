// Reads one entry of `steps:` (and its `compensate:` action): the kind of step,
// its Lua script or plugin action, input template, policies with the workflow
// defaults applied, `if:` and the raw `after:` list for the graph check.
#pragma once

#include "definitions/definition.hpp"
#include "definitions/graph_check.hpp"
#include "definitions/loader.hpp"
#include "definitions/policy_parser.hpp"
#include "definitions/script_collector.hpp"
#include "definitions/yaml_reader.hpp"

#include <optional>

namespace weft::definitions {

/// What every step of one workflow is read with.
struct StepContext {
  YamlReader& reader;
  ScriptCollector& scripts;
  const LoadOptions& options;
  ActionDefaults defaults;
};

struct ParsedStep {
  Step step;                      // `after` still empty: resolved by the graph check
  StepDependencies dependencies;  // `step_id` empty when the step has no usable id
  bool valid = true;
};

ParsedStep parse_step(const YAML::Node& node, StepContext& context);

}  // namespace weft::definitions
