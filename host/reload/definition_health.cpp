#include "reload/definition_health.hpp"

#include <algorithm>

namespace weft::reload {

void DefinitionHealth::set(std::vector<StaleDefinition> stale) {
  std::sort(stale.begin(), stale.end(),
            [](const StaleDefinition& left, const StaleDefinition& right) { return left.workflow < right.workflow; });
  std::lock_guard lock(mutex_);
  stale_ = std::move(stale);
}

std::vector<StaleDefinition> DefinitionHealth::stale() const {
  std::lock_guard lock(mutex_);
  return stale_;
}

std::vector<StaleDefinition> stale_definitions(const std::vector<definitions::DefinitionPtr>& kept,
                                               const std::vector<definitions::InvalidFile>& invalid) {
  std::vector<StaleDefinition> stale;
  for (const auto& definition : kept) {
    const auto file = std::find_if(invalid.begin(), invalid.end(), [&](const definitions::InvalidFile& candidate) {
      return candidate.file.string() == definition->source.path;
    });
    if (file == invalid.end()) continue;
    stale.push_back(StaleDefinition{definition->id, definition->source.path,
                                    file->diagnostics.empty() ? std::string() : file->diagnostics.front().to_string(),
                                    definition->version, definition->content_hash});
  }
  return stale;
}

}  // namespace weft::reload
