#include "reload/start_definitions.hpp"

#include "reload/reload_plan.hpp"
#include "store/store.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>

namespace weft::reload {
namespace {

/// The workflow an invalid file is for: its `id:`, else the workflow last stored from that file.
std::string workflow_of(const definitions::InvalidFile& invalid, store::Store& store) {
  if (!invalid.declared_id.empty()) return invalid.declared_id;
  std::error_code ec;
  const auto absolute = std::filesystem::absolute(invalid.file, ec).lexically_normal();
  return store.workflow_of_file({invalid.file.string(), absolute.string()}).value_or("");
}

/// The newest stored version of `workflow`, loaded as if from `invalid.file`; null (logged) when none loads.
definitions::DefinitionPtr last_valid_version(const std::string& workflow, const definitions::InvalidFile& invalid,
                                              const definitions::LoadOptions& options, store::Store& store) {
  const auto snapshot = store.newest_definition(workflow);
  if (!snapshot) {
    spdlog::error("workflow {} has errors ({}) and no earlier version is stored; it is not served", workflow,
                  invalid.file.string());
    return nullptr;
  }
  auto loaded = definitions::load_bundle({invalid.file.string(), snapshot->yaml, snapshot->scripts}, options);
  if (!loaded.definition || loaded.definition->content_hash != snapshot->content_hash) {
    spdlog::error("workflow {} has errors ({}) and its stored version {} does not load here ({}); it is not served",
                  workflow, invalid.file.string(), version_label(snapshot->version, snapshot->content_hash),
                  loaded.diagnostics.empty() ? std::string("its content hash differs")
                                             : loaded.diagnostics.front().to_string());
    return nullptr;
  }
  spdlog::warn("workflow {} has errors ({}); its last valid version {} serves, from the database", workflow,
               invalid.file.string(), version_label(*loaded.definition));
  return loaded.definition;
}

}  // namespace

std::vector<definitions::DefinitionPtr> with_last_valid_versions(const definitions::DirectoryLoad& loaded,
                                                                 const std::string& database_url,
                                                                 const definitions::LoadOptions& options,
                                                                 DefinitionHealth& health) {
  for (const auto& diagnostic : loaded.diagnostics) spdlog::error("{}", diagnostic.to_string());
  auto serving = loaded.definitions;
  std::vector<definitions::DefinitionPtr> fallbacks;
  if (!loaded.invalid_files.empty()) {
    try {
      store::migrate(database_url);  // a fresh database has no tables yet
      store::Store store(database_url);
      std::set<std::string> served;
      for (const auto& definition : serving) served.insert(definition->id);
      for (const auto& invalid : loaded.invalid_files) {
        const auto workflow = workflow_of(invalid, store);
        if (workflow.empty()) {
          spdlog::error("{} has errors and names no workflow that was stored before; nothing serves from it",
                        invalid.file.string());
          continue;
        }
        if (served.count(workflow)) continue;  // a valid file (or an earlier invalid one) serves it
        if (auto definition = last_valid_version(workflow, invalid, options, store)) {
          served.insert(workflow);
          fallbacks.push_back(std::move(definition));
        }
      }
    } catch (const std::exception& error) {
      spdlog::error("cannot read the last valid versions of workflows with errors ({}); they are not served",
                    error.what());
    }
  }
  health.set(stale_definitions(fallbacks, loaded.invalid_files));
  serving.insert(serving.end(), fallbacks.begin(), fallbacks.end());
  std::sort(serving.begin(), serving.end(), [](const auto& left, const auto& right) { return left->id < right->id; });
  return serving;
}

bool record_served(const std::string& database_url, const std::vector<definitions::DefinitionPtr>& serving) {
  std::vector<store::ServedVersion> versions;
  for (const auto& definition : serving) versions.push_back({definition->id, definition->content_hash});
  try {
    store::Store store(database_url);
    store.set_served_definitions(versions);
    return true;
  } catch (const std::exception& error) {
    spdlog::warn("cannot record the served definitions ({}); `weft start` without --workflows may start "
                 "another version",
                 error.what());
    return false;
  }
}

}  // namespace weft::reload
