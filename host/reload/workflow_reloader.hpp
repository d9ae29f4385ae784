// Hot reload of workflow definitions (`weft serve --watch`):
// reloads the whole workflows directory, merges it per workflow (see
// reload_plan.hpp), hands the result to the engine in one swap and logs what
// changed, with the live executions each replaced version still has.
#pragma once

#include "definitions/loader.hpp"
#include "engine/engine.hpp"
#include "reload/definition_health.hpp"

#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace weft::reload {

struct ReloadPlan;

/// Logs, per serving workflow, its other versions that still have live
/// executions (at start: the versions still finishing). Never throws.
void log_older_live_versions(const std::string& database_url,
                             const std::vector<definitions::DefinitionPtr>& serving);

class WorkflowReloader {
 public:
  /// `serving` is what the engine serves now, loaded from `workflows_dir`
  /// (spelled the same way) with the same `options` (with_last_valid_versions
  /// included). `health`, when given, says which of them serve although their
  /// file has errors; each reload updates it, and records what serves in the
  /// database (record_served).
  WorkflowReloader(engine::Engine& engine, std::filesystem::path workflows_dir, std::string database_url,
                   std::vector<definitions::DefinitionPtr> serving, definitions::LoadOptions options = {},
                   std::shared_ptr<DefinitionHealth> health = nullptr);

  /// Reloads the directory now. Errors in definitions are logged and leave
  /// those workflows on their previous version. Throws store::StoreError when
  /// the new definitions cannot be stored: nothing changed, and calling again
  /// later retries (the watcher does). Call from one thread at a time.
  void reload();

 private:
  void log_changes(const ReloadPlan& plan);
  /// Says so when a workflow that had errors loads again without changing version.
  void log_recovered(const ReloadPlan& plan);

  engine::Engine& engine_;
  std::filesystem::path workflows_dir_;
  std::string database_url_;
  std::vector<definitions::DefinitionPtr> serving_;
  definitions::LoadOptions options_;
  std::set<std::string> with_errors_;  // workflows kept on their previous version by the last reload
  std::shared_ptr<DefinitionHealth> health_;
  bool served_recorded_ = true;  // false: the last record_served failed; the next reload tries again
};

}  // namespace weft::reload
