#include "reload/reload_plan.hpp"

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

namespace weft::reload {

ReloadPlan plan_reload(const std::vector<definitions::DefinitionPtr>& serving, definitions::DirectoryLoad loaded) {
  ReloadPlan plan;
  plan.diagnostics = std::move(loaded.diagnostics);
  plan.invalid_files = std::move(loaded.invalid_files);
  std::map<std::string, definitions::DefinitionPtr> fresh;
  std::set<std::string> files_with_valid_definition;
  for (const auto& definition : loaded.definitions) {
    fresh[definition->id] = definition;
    files_with_valid_definition.insert(definition->source.path);
  }

  std::set<std::string> previous_ids;
  for (const auto& before : serving) {
    previous_ids.insert(before->id);
    if (const auto it = fresh.find(before->id); it != fresh.end()) {
      if (it->second->content_hash == before->content_hash) {
        plan.serving.push_back(before);  // unchanged: keep the very same object
      } else {
        plan.changed.push_back(VersionChange{before, it->second});
        plan.serving.push_back(it->second);
      }
      continue;
    }
    std::error_code ec;
    const bool file_still_there = std::filesystem::exists(before->source.path, ec);
    if (file_still_there && !files_with_valid_definition.count(before->source.path)) {
      plan.kept.push_back(before);
      plan.serving.push_back(before);
    } else {
      plan.removed.push_back(before);
    }
  }
  for (const auto& [id, definition] : fresh) {
    if (previous_ids.count(id)) continue;
    plan.added.push_back(definition);
    plan.serving.push_back(definition);
  }
  std::sort(plan.serving.begin(), plan.serving.end(),
            [](const auto& left, const auto& right) { return left->id < right->id; });
  return plan;
}

std::string version_label(const std::string& version, const std::string& content_hash) {
  const auto hash_prefix = content_hash.substr(0, 12);
  if (version == hash_prefix) return version;
  return version + " [" + hash_prefix + "]";
}

std::string version_label(const definitions::Definition& definition) {
  return version_label(definition.version, definition.content_hash);
}

}  // namespace weft::reload
