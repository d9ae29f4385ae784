#include "reload/workflow_reloader.hpp"

#include "reload/reload_plan.hpp"
#include "reload/start_definitions.hpp"
#include "store/store.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>

namespace weft::reload {
namespace {

/// Live executions per (workflow, content hash); empty when they cannot be counted.
class LiveCounts {
 public:
  LiveCounts(const std::string& database_url, const std::set<std::string>& workflows) {
    if (workflows.empty()) return;
    try {
      store::Store store(database_url);
      versions_ = store.live_versions({workflows.begin(), workflows.end()});
      counted_ = true;
    } catch (const std::exception& error) {
      spdlog::warn("cannot count live executions per version: {}", error.what());
    }
  }

  /// "3 live execution(s)" for that version ("? live executions" when not counted).
  std::string of(const definitions::Definition& definition) const {
    if (!counted_) return "? live executions";
    std::int64_t live = 0;
    for (const auto& version : versions_) {
      if (version.workflow == definition.id && version.content_hash == definition.content_hash) live = version.live;
    }
    return std::to_string(live) + " live execution(s)";
  }

  /// Logs the versions of `workflow` other than `except` that still have live executions.
  void log_older(const std::string& workflow, const std::vector<const definitions::Definition*>& except) const {
    std::string listed;  // e.g. "1 [0c1d5e2a7b44]: 2, 4e1f09a2c3d5: 1"
    for (const auto& version : versions_) {
      if (version.workflow != workflow) continue;
      bool excluded = false;
      for (const auto* definition : except) excluded = excluded || definition->content_hash == version.content_hash;
      if (excluded) continue;
      listed += (listed.empty() ? "" : ", ") + version_label(version.version, version.content_hash) + ": " +
                std::to_string(version.live);
    }
    if (!listed.empty()) spdlog::info("workflow {}: older versions with live executions: {}", workflow, listed);
  }

 private:
  std::vector<store::LiveVersion> versions_;
  bool counted_ = false;
};

}  // namespace

void log_older_live_versions(const std::string& database_url,
                             const std::vector<definitions::DefinitionPtr>& serving) {
  std::set<std::string> workflows;
  for (const auto& definition : serving) workflows.insert(definition->id);
  const LiveCounts live(database_url, workflows);
  for (const auto& definition : serving) live.log_older(definition->id, {definition.get()});
}

WorkflowReloader::WorkflowReloader(engine::Engine& engine, std::filesystem::path workflows_dir,
                                   std::string database_url, std::vector<definitions::DefinitionPtr> serving,
                                   definitions::LoadOptions options, std::shared_ptr<DefinitionHealth> health)
    : engine_(engine),
      workflows_dir_(std::move(workflows_dir)),
      database_url_(std::move(database_url)),
      serving_(std::move(serving)),
      options_(std::move(options)),
      health_(std::move(health)) {
  // Served from the database at start because their files have errors: as if kept by a reload.
  if (health_) {
    for (const auto& stale : health_->stale()) with_errors_.insert(stale.workflow);
  }
}

void WorkflowReloader::reload() {
  std::error_code ec;
  if (!std::filesystem::is_directory(workflows_dir_, ec)) {
    // Most likely mid-checkout or mid-move: dropping every workflow would be worse.
    spdlog::warn("reload: {} is missing; the {} workflow(s) serving now keep serving", workflows_dir_.string(),
                 serving_.size());
    return;
  }
  auto plan = plan_reload(serving_, definitions::load_directory(workflows_dir_, options_));
  for (const auto& diagnostic : plan.diagnostics) spdlog::error("reload: {}", diagnostic.to_string());
  for (const auto& kept : plan.kept) {
    spdlog::warn("reload: workflow {} has errors; its version {} keeps serving", kept->id,
                 version_label(*kept));
  }
  log_recovered(plan);
  auto stale = stale_definitions(plan.kept, plan.invalid_files);
  if (!plan.changes_serving()) {
    if (health_) health_->set(std::move(stale));
    if (!served_recorded_) served_recorded_ = record_served(database_url_, serving_);
    if (plan.diagnostics.empty()) {
      spdlog::debug("reload: no definition changed");
    } else {
      spdlog::warn("reload: {} error(s); nothing else changed, every workflow keeps its version",
                   plan.diagnostics.size());
    }
    return;
  }
  engine_.replace_definitions(plan.serving);  // throws before swapping anything
  serving_ = plan.serving;
  if (health_) health_->set(std::move(stale));
  served_recorded_ = record_served(database_url_, serving_);
  log_changes(plan);
}

void WorkflowReloader::log_recovered(const ReloadPlan& plan) {
  std::set<std::string> still_with_errors;
  for (const auto& kept : plan.kept) still_with_errors.insert(kept->id);
  for (const auto& id : with_errors_) {
    if (still_with_errors.count(id)) continue;
    const auto changed = std::any_of(plan.changed.begin(), plan.changed.end(),
                                     [&](const VersionChange& change) { return change.before->id == id; });
    const auto removed = std::any_of(plan.removed.begin(), plan.removed.end(),
                                     [&](const definitions::DefinitionPtr& gone) { return gone->id == id; });
    if (!changed && !removed) spdlog::info("reload: workflow {} has no errors any more; its version is unchanged", id);
  }
  with_errors_ = std::move(still_with_errors);
}

void WorkflowReloader::log_changes(const ReloadPlan& plan) {
  std::set<std::string> replaced;
  for (const auto& change : plan.changed) replaced.insert(change.before->id);
  for (const auto& removed : plan.removed) replaced.insert(removed->id);
  const LiveCounts live(database_url_, replaced);
  for (const auto& added : plan.added)
    spdlog::info("reload: added workflow {} (version {})", added->id, version_label(*added));
  for (const auto& [before, after] : plan.changed) {
    spdlog::info("reload: changed workflow {}: version {} -> {}; version {} still has {}", before->id,
                 version_label(*before), version_label(*after), version_label(*before), live.of(*before));
    live.log_older(before->id, {before.get(), after.get()});
  }
  for (const auto& removed : plan.removed) {
    spdlog::info("reload: removed workflow {} (version {}): it starts nothing new; {} finish on it",
                 removed->id, version_label(*removed), live.of(*removed));
    live.log_older(removed->id, {removed.get()});
  }
  spdlog::info("reload: serving {} workflow(s): {} added, {} changed, {} removed, {} kept on their previous version",
               plan.serving.size(), plan.added.size(), plan.changed.size(), plan.removed.size(), plan.kept.size());
}

}  // namespace weft::reload
