// /v1/workflows/{id}/executions and /v1/executions...: start, read, list,
// signal and cancel executions.
#include "api/control.hpp"
#include "api/start_execution.hpp"
#include "http_api/endpoints.hpp"
#include "http_api/list_params.hpp"
#include "views/views.hpp"

namespace weft::http_api {
namespace {

using http::ErrorCode;
using http::error_response;

http::Response control_response(const api::ControlResult& result) {
  using Refusal = api::ControlResult::Refusal;
  switch (result.refusal) {
    case Refusal::None: return json_response(202, JsonObject{{"message", result.message}});
    case Refusal::NotFound: return error_response(ErrorCode::NotFound, result.message);
    case Refusal::Conflict: return error_response(ErrorCode::Conflict, result.message);
    case Refusal::Invalid: return error_response(ErrorCode::BadRequest, result.message);
  }
  return error_response(ErrorCode::Internal, result.message);
}

/// Query filters; for a bulk POST, the JSON body's members (strings) may give them instead.
std::optional<store::ListFilter> bulk_filter(const Call& call, http::Response& error) {
  http::Fields parameters = call.request.query;
  auto body = read_json_body(call, error);
  if (!body) return std::nullopt;
  if (!body->is_object()) {
    error = error_response(ErrorCode::BadRequest, "the body must be a JSON object of filters");
    return std::nullopt;
  }
  for (const auto& member : body->as_object()) {
    const auto* text = member.value().if_string();
    if (text == nullptr) {
      error = error_response(ErrorCode::BadRequest, "filter '" + std::string(member.key()) + "' must be a string");
      return std::nullopt;
    }
    parameters.emplace_back(std::string(member.key()), std::string(*text));
  }
  std::string message;
  auto filter = read_list_filter(parameters, message);
  if (!filter) error = error_response(ErrorCode::BadRequest, message);
  return filter;
}

}  // namespace

http::Response start_execution(Call& call) {
  http::Response error;
  const auto body = read_json_body(call, error);
  if (!body) return error;
  const auto* object = body->if_object();
  if (object == nullptr) return error_response(ErrorCode::BadRequest, "the body must be a JSON object: {\"input\": ..., \"key\": ...}");
  api::StartRequest request;
  request.workflow = call.segments[2];
  for (const auto& member : *object) {
    if (member.key() == "input") {
      request.input = member.value();
    } else if (member.key() == "key") {
      const auto* key = member.value().if_string();
      if (key == nullptr || key->empty())
        return error_response(ErrorCode::BadRequest, "\"key\" must be a non-empty string");
      request.key = std::string(*key);
    } else {
      return error_response(ErrorCode::BadRequest,
                            "unknown member '" + std::string(member.key()) + "' (input, key)");
    }
  }
  try {
    const auto started = api::start_execution(call.store(), request, call.vm());
    return json_response(started.created ? 201 : 200,
                         JsonObject{{"id", started.execution_id},
                                    {"created", started.created},
                                    {"workflow", started.workflow},
                                    {"version", started.version},
                                    {"key", started.key ? Json(*started.key) : Json(nullptr)},
                                    {"trace_id", started.trace_id}});
  } catch (const api::StartError& refused) {
    switch (refused.reason()) {
      case api::StartError::Reason::UnknownWorkflow: return error_response(ErrorCode::NotFound, refused.what());
      case api::StartError::Reason::InvalidRequest: return error_response(ErrorCode::BadRequest, refused.what());
      case api::StartError::Reason::BrokenDefinition: return error_response(ErrorCode::Internal, refused.what());
    }
    return error_response(ErrorCode::Internal, refused.what());
  }
}

http::Response get_execution(Call& call) {
  const auto& id = call.segments[2];
  const auto detail = call.store().get_execution(id);
  if (!detail) return error_response(ErrorCode::NotFound, "no execution with id '" + id + "'");
  return json_response(200, views::execution_json(*detail));
}

http::Response list_executions(Call& call) {
  std::string message;
  const auto filter = read_list_filter(call.request.query, message);
  if (!filter) return error_response(ErrorCode::BadRequest, message);
  const auto page = call.store().page_executions(*filter);
  JsonArray rows;
  for (const auto& summary : page.rows) rows.push_back(views::summary_json(summary));
  return json_response(200, JsonObject{{"executions", std::move(rows)},
                                       {"next_cursor", page.next ? Json(encode_cursor(*page.next)) : Json(nullptr)}});
}

http::Response signal_execution(Call& call) {
  http::Response error;
  auto data = read_json_body(call, error);
  if (!data) return error;
  // An empty body is a signal without data.
  if (call.request.body.find_first_not_of(" \t\r\n") == std::string::npos) data = Json(nullptr);
  return control_response(api::signal_execution(call.store(), call.segments[2], call.segments[4], *data));
}

http::Response cancel_execution(Call& call) {
  return control_response(api::cancel_execution(call.store(), call.segments[2]));
}

http::Response cancel_executions(Call& call) {
  http::Response error;
  const auto filter = bulk_filter(call, error);
  if (!filter) return error;
  const auto cancelled = call.store().request_cancels(*filter);
  return json_response(202, JsonObject{{"cancelled", cancelled}});
}

http::Response list_dead_letters(Call& call) {
  std::string message;
  const auto filter = read_list_filter(call.request.query, message);
  if (!filter) return error_response(ErrorCode::BadRequest, message);
  const auto page = call.store().page_dead_letters(*filter);
  JsonArray rows;
  for (const auto& letter : page.rows) rows.push_back(views::dead_letter_json(letter));
  return json_response(200, JsonObject{{"dead_letters", std::move(rows)},
                                       {"next_cursor", page.next ? Json(encode_cursor(*page.next)) : Json(nullptr)}});
}

http::Response retry_dead_letter(Call& call) {
  return control_response(api::retry_dead_letter(call.store(), call.segments[2]));
}

http::Response retry_dead_letters(Call& call) {
  http::Response error;
  const auto filter = bulk_filter(call, error);
  if (!filter) return error;
  // Each retry is its own transaction: one that another request retried first is skipped.
  constexpr int kCap = 10000;
  auto& store = call.store();
  std::int64_t retried = 0;
  for (const auto& id : store.dead_letter_ids(*filter, kCap)) {
    if (api::retry_dead_letter(store, id).ok()) ++retried;
  }
  return json_response(202, JsonObject{{"retried", retried}});
}

http::Response get_trace(Call& call) {
  const auto& trace_id = call.segments[2];
  const auto entries = call.store().trace(trace_id);
  if (entries.empty()) return error_response(ErrorCode::NotFound, "nothing recorded for trace '" + trace_id + "'");
  return json_response(200, views::trace_json(trace_id, entries));
}

}  // namespace weft::http_api
