// POST /v1/events: CloudEvents in every content mode of the HTTP binding,
// validated by the same code as `weft emit`, stored in one statement (a batch
// all or nothing), acknowledged only once committed.
#include "http_api/endpoints.hpp"
#include "http_api/event_intake.hpp"
#include "metrics/registry.hpp"
#include "routing/event_binding.hpp"

#include <algorithm>

namespace weft::http_api {
namespace {

using http::ErrorCode;
using http::error_response;

/// The events of the request, or the error response to send.
std::variant<std::vector<routing::Event>, http::Response> read_events(const http::Request& request) {
  const auto* content_type = request.header("content-type");
  const std::string type = content_type ? *content_type : std::string();
  const auto media = routing::media_type_of(type);

  const auto one = [](routing::ParseResult parsed) -> std::variant<std::vector<routing::Event>, http::Response> {
    if (!parsed.event) return error_response(ErrorCode::InvalidEvent, parsed.error);
    return std::vector<routing::Event>{std::move(*parsed.event)};
  };
  const auto batch = [](routing::ParseBatchResult parsed) -> std::variant<std::vector<routing::Event>, http::Response> {
    if (!parsed.events) return error_response(ErrorCode::InvalidEvent, parsed.error + " (no event was stored)");
    return std::move(*parsed.events);
  };

  // Binary mode: the attributes are headers, the body is the data (any content type).
  if (request.header("ce-specversion") != nullptr) return one(routing::event_from_binary(request.headers, request.body, type));
  if (media == "application/cloudevents+json") return one(routing::parse_event_text(request.body));
  if (media == "application/cloudevents-batch+json") return batch(routing::parse_event_batch_text(request.body));
  if (media == "application/json") {
    std::string message;
    const auto value = parse_json(request.body, &message);
    if (!value) return error_response(ErrorCode::InvalidEvent, message);
    if (value->is_array()) return batch(routing::parse_event_batch(*value));
    return one(routing::parse_event(*value));
  }
  return error_response(ErrorCode::UnsupportedMediaType,
                        (type.empty() ? std::string("no Content-Type") : "Content-Type '" + type + "' is not accepted") +
                            ": send application/cloudevents+json (one event), application/cloudevents-batch+json "
                            "(an array), application/json, or the data with ce-* headers (binary mode)");
}

/// 202 with each event's id and trace id, and which were already stored.
http::Response acknowledgement(const std::vector<routing::Event>& accepted, const std::vector<bool>& stored) {
  JsonArray ids;
  JsonArray trace_ids;
  JsonArray duplicates;
  for (std::size_t i = 0; i < accepted.size(); ++i) {
    ids.emplace_back(accepted[i].id);
    trace_ids.emplace_back(accepted[i].trace_id);
    if (!stored[i]) duplicates.emplace_back(accepted[i].id);
  }
  return json_response(202, JsonObject{{"ids", std::move(ids)},
                                       {"trace_ids", std::move(trace_ids)},
                                       {"duplicates", std::move(duplicates)}});
}

}  // namespace

http::Response post_events(Call& call) {
  auto events = read_events(call.request);
  if (auto* refused = std::get_if<http::Response>(&events)) {
    if (call.received.refused) call.received.refused->inc();
    return std::move(*refused);
  }
  auto accepted = std::get<std::vector<routing::Event>>(std::move(events));
  if (accepted.empty()) return acknowledgement(accepted, {});
  std::vector<store::EventRecord> records;
  records.reserve(accepted.size());
  for (auto& event : accepted)  // the acknowledgement needs only the ids: the rest moves
    records.push_back({event.source, event.id, event.type, event.trace_id, std::move(event.document)});
  // Stored with whatever other requests arrive meanwhile, in one commit; this
  // request's events all commit or none do. The handler thread is free meanwhile.
  http::Response response;
  response.deferred = std::make_shared<http::Deferred>();
  call.intake().submit(std::move(records), [deferred = response.deferred, accepted = std::move(accepted),
                                            counters = call.received](IntakeOutcome outcome) {
    if (outcome.error)
      return deferred->complete(error_response(ErrorCode::Unavailable, "the database failed: " + *outcome.error));
    if (counters.stored) {
      const auto stored = static_cast<std::uint64_t>(std::count(outcome.stored.begin(), outcome.stored.end(), true));
      counters.stored->inc(stored);
      counters.duplicate->inc(outcome.stored.size() - stored);
    }
    deferred->complete(acknowledgement(accepted, outcome.stored));
  });
  return response;
}

}  // namespace weft::http_api
