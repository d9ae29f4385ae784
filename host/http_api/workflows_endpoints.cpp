// GET /v1/workflows: every stored version of every workflow, with the hosts
// that serve it and its unfinished executions. GET /v1/workflows/{id}: one
// version's steps and the edges between them (what the dashboard draws).
#include "http_api/endpoints.hpp"

#include "definitions/loader.hpp"
#include "views/views.hpp"

#include <map>

namespace weft::http_api {
namespace {

using http::ErrorCode;
using http::error_response;

const char* kind_name(const definitions::Step& step) {
  switch (step.kind) {
    case definitions::StepKind::Wait: return "wait";
    case definitions::StepKind::Sleep: return "sleep";
    case definitions::StepKind::Action: break;
  }
  return "action";
}

Json step_json(const definitions::Step& step) {
  JsonArray after;
  for (const auto& id : step.after) after.emplace_back(id);
  Json action = nullptr;
  if (step.kind == definitions::StepKind::Action)
    action = step.action.kind == definitions::ActionKind::Lua ? "lua" : "plugin";
  JsonObject object{{"id", step.id},
                    {"kind", kind_name(step)},
                    {"action", action},
                    {"after", std::move(after)},
                    {"compensate", step.compensate.has_value()},
                    {"if", step.condition.has_value()}};
  if (step.kind == definitions::StepKind::Action) {
    object["transaction"] = step.action.transaction.has_value();
    object["lock"] = step.action.lock.has_value();
  }
  if (step.kind == definitions::StepKind::Wait) object["signal"] = step.wait.signal;
  return object;
}

}  // namespace

http::Response list_workflows(Call& call) {
  const auto versions = call.store().stored_versions();
  std::vector<std::string> names;
  for (const auto& version : versions)
    if (names.empty() || names.back() != version.workflow) names.push_back(version.workflow);
  std::map<std::pair<std::string, std::string>, store::LiveVersion> live;
  for (const auto& row : call.store().live_versions(names)) live[{row.workflow, row.content_hash}] = row;

  JsonArray workflows;
  for (std::size_t i = 0; i < versions.size();) {
    const auto& workflow = versions[i].workflow;
    JsonArray listed;
    for (; i < versions.size() && versions[i].workflow == workflow; ++i) {
      const auto& version = versions[i];
      const auto found = live.find({version.workflow, version.content_hash});
      listed.emplace_back(JsonObject{{"version", version.version},
                                     {"content_hash", version.content_hash},
                                     {"created_at", views::format_time(version.created_at)},
                                     {"source_path", version.source_path},
                                     {"served_by_hosts", version.hosts},
                                     {"live_executions", found == live.end() ? std::int64_t{0} : found->second.live}});
    }
    workflows.emplace_back(JsonObject{{"id", workflow}, {"versions", std::move(listed)}});
  }
  return json_response(200, JsonObject{{"workflows", std::move(workflows)}});
}

http::Response get_workflow(Call& call) {
  const auto& workflow = call.segments.at(2);
  std::optional<store::DefinitionSnapshot> snapshot;
  if (const auto hash = call.request.query_value("content_hash")) {
    snapshot = call.store().load_definition(workflow, *hash);
    if (!snapshot) return error_response(ErrorCode::NotFound, "no version " + *hash + " of workflow " + workflow);
  } else {
    auto served = call.store().served_definition(workflow);
    if (!served) return error_response(ErrorCode::NotFound, "no workflow " + workflow);
    snapshot = std::move(served->snapshot);
  }
  const auto loaded = definitions::load_bundle({snapshot->source_path, snapshot->yaml, snapshot->scripts});
  if (!loaded.definition)
    return error_response(ErrorCode::Internal, "the stored version of " + workflow + " no longer loads: " +
                                                   loaded.diagnostics.front().to_string());
  const auto& definition = *loaded.definition;
  JsonArray steps;
  for (const auto& step : definition.steps) steps.push_back(step_json(step));
  return json_response(200, JsonObject{{"id", definition.id},
                                       {"version", definition.version},
                                       {"content_hash", snapshot->content_hash},
                                       {"description", definition.description},
                                       {"steps", std::move(steps)}});
}

}  // namespace weft::http_api
