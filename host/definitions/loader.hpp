// Builds validated definitions from YAML (yaml-cpp). Validation is complete
// before anything runs: every problem is reported at once as a Diagnostic
// (`file:line:column: message`); no input makes it crash or throw.
#pragma once

#include "common/diagnostic.hpp"
#include "definitions/definition.hpp"

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace weft::definitions {

struct LoadOptions {
  /// When set, `plugin: name.action` steps are checked against the loaded plugins:
  /// returns an error message for an unknown plugin or action, nullopt when fine.
  std::function<std::optional<std::string>(const std::string& plugin, const std::string& action)>
      check_plugin_action;
};

struct LoadResult {
  DefinitionPtr definition;  // null when diagnostics is not empty
  Diagnostics diagnostics;
};

/// Loads one YAML file from disk; scripts are read relative to its folder.
LoadResult load_file(const std::filesystem::path& yaml_file, const LoadOptions& options = {});

/// Loads a stored snapshot (the pinned version of an execution). Never touches the disk.
LoadResult load_bundle(const SourceBundle& bundle, const LoadOptions& options = {});

struct DirectoryLoad {
  std::vector<DefinitionPtr> definitions;  // the valid ones, sorted by id
  Diagnostics diagnostics;                  // for every invalid file, and duplicate ids across files
};

/// Loads every `*.yaml`/`*.yml` below `root` (recursive). Files that fail are
/// reported and left out; a workflow id defined twice is an error at both places.
DirectoryLoad load_directory(const std::filesystem::path& root, const LoadOptions& options = {});

}  // namespace weft::definitions
