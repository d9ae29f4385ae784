// Gathers the Lua scripts a definition names (step and compensation `lua:`):
// fetched from disk or from a stored bundle, checked to compile, and kept for
// the definition's SourceBundle so the snapshot is complete.
#pragma once

#include "definitions/yaml_reader.hpp"

#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>

namespace weft::definitions {

/// A script's text, or why it could not be had.
struct ScriptLookup {
  std::optional<std::string> content;
  std::string error;  // when content is absent
};

/// Fetches a script by its path as written in the YAML.
using ScriptSource = std::function<ScriptLookup(const std::string& path)>;

class ScriptCollector {
 public:
  /// `base_dir` is the YAML file's folder; it only names scripts in messages.
  ScriptCollector(ScriptSource source, std::filesystem::path base_dir);

  /// Checks the path in `field` (a `lua:` entry), fetches and compiles the script
  /// once per path. Reports problems; false when the script is unusable.
  bool add(const Field& field, const std::string& path, YamlReader& reader);

  const std::map<std::string, std::string>& scripts() const { return scripts_; }

 private:
  ScriptSource source_;
  std::filesystem::path base_dir_;
  std::map<std::string, std::string> scripts_;
  std::set<std::string> failed_;
};

}  // namespace weft::definitions
