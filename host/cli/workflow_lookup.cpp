#include "cli/workflow_lookup.hpp"

#include "cli/args.hpp"
#include "definitions/loader.hpp"

#include <filesystem>

namespace weft::cli {

definitions::DefinitionPtr find_workflow(const std::string& directory, const std::string& id) {
  std::error_code ec;
  if (!std::filesystem::is_directory(directory, ec))
    throw UsageError("workflows directory '" + directory + "' does not exist (use --workflows)");
  auto loaded = definitions::load_directory(directory);
  for (const auto& definition : loaded.definitions) {
    if (definition->id == id) return definition;
  }
  for (const auto& diagnostic : loaded.diagnostics) {
    // The workflow may be the one that failed validation: say so rather than "unknown".
    if (diagnostic.location.file.find(id) != std::string::npos)
      throw UsageError("workflow '" + id + "' is invalid: " + diagnostic.to_string());
  }
  std::string known;
  for (const auto& definition : loaded.definitions) known += (known.empty() ? "" : ", ") + definition->id;
  throw UsageError("unknown workflow '" + id + "' in " + directory +
                   (known.empty() ? std::string(" (no valid workflows there)") : " (known: " + known + ")"));
}

}  // namespace weft::cli
