#include "definitions/loader.hpp"

#include "definitions/definition_parser.hpp"

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>
#include <system_error>

namespace weft::definitions {
namespace {

namespace fs = std::filesystem;

std::optional<std::string> read_text(const fs::path& file, std::string& error) {
  std::error_code ec;
  if (!fs::is_regular_file(file, ec)) {
    error = fs::exists(file, ec) ? "is not a regular file" : "not found";
    return std::nullopt;
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    error = "cannot be read";
    return std::nullopt;
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    error = "cannot be read";
    return std::nullopt;
  }
  return std::move(text).str();
}

bool is_workflow_file(const fs::path& file) {
  const auto extension = file.extension();
  return extension == ".yaml" || extension == ".yml";
}

bool is_hidden(const fs::path& path) {
  const auto name = path.filename().string();
  return !name.empty() && name.front() == '.';
}

std::string position(const SourceLocation& where) {
  std::string text = where.file;
  if (where.line > 0) text += ":" + std::to_string(where.line);
  if (where.line > 0 && where.column > 0) text += ":" + std::to_string(where.column);
  return text;
}

}  // namespace

LoadResult load_file(const fs::path& yaml_file, const LoadOptions& options) {
  const std::string file = yaml_file.string();
  std::string error;
  const auto yaml = read_text(yaml_file, error);
  if (!yaml) {
    LoadResult result;
    result.diagnostics.push_back(Diagnostic{SourceLocation{file, 0, 0}, "workflow file " + error});
    return result;
  }
  const fs::path folder = yaml_file.parent_path();
  const ScriptSource from_disk = [&folder](const std::string& path) {
    ScriptLookup lookup;
    std::string problem;
    lookup.content = read_text(folder / path, problem);
    if (!lookup.content) lookup.error = problem + " (looked for " + (folder / path).lexically_normal().string() + ")";
    return lookup;
  };
  try {
    return parse_definition(file, *yaml, from_disk, options);
  } catch (const std::exception& failure) {
    LoadResult result;
    result.diagnostics.push_back(Diagnostic{SourceLocation{file, 0, 0}, failure.what()});
    return result;
  }
}

LoadResult load_bundle(const SourceBundle& bundle, const LoadOptions& options) {
  const ScriptSource from_bundle = [&bundle](const std::string& path) {
    ScriptLookup lookup;
    const auto found = bundle.scripts.find(path);
    if (found != bundle.scripts.end()) {
      lookup.content = found->second;
    } else {
      lookup.error = "not in the stored workflow bundle";
    }
    return lookup;
  };
  try {
    return parse_definition(bundle.path, bundle.yaml, from_bundle, options);
  } catch (const std::exception& failure) {
    LoadResult result;
    result.diagnostics.push_back(Diagnostic{SourceLocation{bundle.path, 0, 0}, failure.what()});
    return result;
  }
}

DirectoryLoad load_directory(const fs::path& root, const LoadOptions& options) {
  DirectoryLoad result;
  std::error_code ec;
  if (!fs::is_directory(root, ec)) {
    result.diagnostics.push_back(
        Diagnostic{SourceLocation{root.string(), 0, 0}, "the workflows directory does not exist or is not a directory"});
    return result;
  }
  std::vector<fs::path> files;
  fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec);
  for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    const auto& entry = *it;
    if (is_hidden(entry.path())) {
      if (entry.is_directory(ec)) it.disable_recursion_pending();
      continue;
    }
    if (entry.is_regular_file(ec) && is_workflow_file(entry.path())) files.push_back(entry.path());
  }
  if (ec) {
    result.diagnostics.push_back(
        Diagnostic{SourceLocation{root.string(), 0, 0}, "cannot list the workflows directory: " + ec.message()});
  }
  std::sort(files.begin(), files.end());

  std::vector<DefinitionPtr> loaded;
  for (const auto& file : files) {
    auto one = load_file(file, options);
    if (!one.definition) result.invalid_files.push_back(InvalidFile{file, one.declared_id, one.diagnostics});
    for (auto& diagnostic : one.diagnostics) result.diagnostics.push_back(std::move(diagnostic));
    if (one.definition) loaded.push_back(std::move(one.definition));
  }

  // A workflow id in two files is ambiguous: neither file serves it.
  std::map<std::string, std::vector<DefinitionPtr>> by_id;
  for (const auto& definition : loaded) by_id[definition->id].push_back(definition);
  for (auto& [id, same] : by_id) {
    if (same.size() == 1) {
      result.definitions.push_back(same.front());
      continue;
    }
    for (const auto& definition : same) {
      std::string others;
      for (const auto& other : same) {
        if (other == definition) continue;
        others += (others.empty() ? "" : ", ") + position(other->location);
      }
      Diagnostic duplicate{definition->location, "workflow id `" + id + "` is also defined at " + others};
      result.invalid_files.push_back(InvalidFile{definition->source.path, id, {duplicate}});
      result.diagnostics.push_back(std::move(duplicate));
    }
  }
  return result;
}

}  // namespace weft::definitions
