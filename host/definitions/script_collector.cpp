#include "definitions/script_collector.hpp"

#include "lua/syntax.hpp"

namespace weft::definitions {

ScriptCollector::ScriptCollector(ScriptSource source, std::filesystem::path base_dir)
    : source_(std::move(source)), base_dir_(std::move(base_dir)) {}

bool ScriptCollector::add(const Field& field, const std::string& path, YamlReader& reader) {
  if (scripts_.contains(path)) return true;
  if (failed_.contains(path)) return false;
  const std::filesystem::path relative(path);
  // Scripts travel with the definition in its bundle; an absolute path would tie
  // the snapshot to one machine.
  if (relative.is_absolute() || path.starts_with('/') || path.starts_with('\\')) {
    reader.error(field, "script path `" + printable(path) + "` must be relative to the workflow file's folder");
    failed_.insert(path);
    return false;
  }
  const ScriptLookup lookup = source_(path);
  if (!lookup.content) {
    reader.error(field, "script `" + printable(path) + "`: " + lookup.error);
    failed_.insert(path);
    return false;
  }
  const std::string shown = (base_dir_ / relative).lexically_normal().generic_string();
  if (const auto error = lua::check_syntax(*lookup.content, shown)) {
    reader.error(SourceLocation{shown, error->line, 0}, error->message);
    failed_.insert(path);
    return false;
  }
  scripts_.emplace(path, *lookup.content);
  return true;
}

}  // namespace weft::definitions
