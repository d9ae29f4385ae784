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
  /// The file's `id:` when it could be read as a valid id, also when the
  /// definition has errors (empty when it could not).
  std::string declared_id;
};

/// Loads one YAML file from disk; scripts are read relative to its folder.
LoadResult load_file(const std::filesystem::path& yaml_file, const LoadOptions& options = {});

/// Loads a stored snapshot (the pinned version of an execution). Never touches the disk.
LoadResult load_bundle(const SourceBundle& bundle, const LoadOptions& options = {});

/// A workflow file that gave no valid definition.
struct InvalidFile {
  std::filesystem::path file;  // as listed under the root (like Definition::source.path)
  std::string declared_id;     // its `id:` when that could be read (empty: unknown)
  Diagnostics diagnostics;     // its own errors, first one first
};

struct DirectoryLoad {
  std::vector<DefinitionPtr> definitions;  // the valid ones, sorted by id
  Diagnostics diagnostics;                  // for every invalid file, and duplicate ids across files
  std::vector<InvalidFile> invalid_files;   // with errors, or defining an id another file defines too
};

/// Loads every `*.yaml`/`*.yml` below `root` (recursive). Files that fail are
/// reported and left out; a workflow id defined twice is an error at both places.
DirectoryLoad load_directory(const std::filesystem::path& root, const LoadOptions& options = {});

}  // namespace weft::definitions
