#include "api/start_execution.hpp"

#include "definitions/loader.hpp"
#include "engine/execution_plan.hpp"

#include <algorithm>
#include <utility>

namespace weft::api {
namespace {

StartedExecution plan_and_insert(store::Store& store, const definitions::Definition& definition,
                                 const StartRequest& request, lua::Vm& vm, VersionSource source) {
  engine::PlanRequest plan_request;
  plan_request.input = request.input;
  plan_request.key = request.key;
  plan_request.trace_id = request.trace_id;
  auto plan = engine::plan_execution(definition, plan_request, vm);
  if (!plan.execution) throw StartError(StartError::Reason::InvalidRequest, plan.error);
  // A definition read from a folder may be a version nothing stored yet.
  if (source == VersionSource::Given) store.save_definition(engine::snapshot_of(definition));
  const auto result = store.start_execution(*plan.execution);
  return StartedExecution{result.execution_id,   result.created,         definition.id,
                          definition.version,    definition.content_hash, std::move(plan.execution->key),
                          plan.execution->trace_id, source};
}

std::size_t edit_distance(const std::string& from, const std::string& to) {
  std::vector<std::size_t> row(to.size() + 1);
  for (std::size_t j = 0; j <= to.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= from.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= to.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (from[i - 1] == to[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[to.size()];
}

}  // namespace

std::vector<std::string> similar_names(const std::string& name, const std::vector<std::string>& known) {
  constexpr std::size_t kShown = 5;
  const std::size_t close = std::max<std::size_t>(2, name.size() / 3);
  std::vector<std::pair<std::size_t, std::string>> found;
  for (const auto& candidate : known) {
    const auto distance = edit_distance(name, candidate);
    const bool contains = !name.empty() && (candidate.find(name) != std::string::npos ||
                                            name.find(candidate) != std::string::npos);
    if (distance <= close || contains) found.emplace_back(distance, candidate);
  }
  std::sort(found.begin(), found.end());
  std::vector<std::string> names;
  for (std::size_t i = 0; i < found.size() && i < kShown; ++i) names.push_back(found[i].second);
  return names;
}

StartedExecution start_execution(store::Store& store, const StartRequest& request, lua::Vm& vm) {
  const auto chosen = store.served_definition(request.workflow);
  if (!chosen) {
    std::string message = "unknown workflow '" + request.workflow + "': no version of it is stored";
    std::string similar;
    for (const auto& name : similar_names(request.workflow, store.stored_workflows()))
      similar += (similar.empty() ? "" : ", ") + name;
    if (!similar.empty()) message += " (similar: " + similar + ")";
    throw StartError(StartError::Reason::UnknownWorkflow, message);
  }
  const auto& snapshot = chosen->snapshot;
  const auto loaded = definitions::load_bundle({snapshot.source_path, snapshot.yaml, snapshot.scripts});
  const auto broken = [&](const std::string& why) {
    return StartError(StartError::Reason::BrokenDefinition, "the stored version " + snapshot.version +
                                                                " of workflow '" + snapshot.workflow +
                                                                "' no longer loads: " + why);
  };
  if (!loaded.definition)
    throw broken(loaded.diagnostics.empty() ? std::string("unknown error") : loaded.diagnostics.front().to_string());
  // The execution is pinned by content hash: it must be the stored one.
  if (loaded.definition->content_hash != snapshot.content_hash)
    throw broken("its content hash is now " + loaded.definition->content_hash);
  return plan_and_insert(store, *loaded.definition, request, vm,
                         chosen->hosts > 0 ? VersionSource::Served : VersionSource::NewestStored);
}

StartedExecution start_execution(store::Store& store, const definitions::Definition& definition,
                                 const StartRequest& request, lua::Vm& vm) {
  return plan_and_insert(store, definition, request, vm, VersionSource::Given);
}

}  // namespace weft::api
