// GET /v1/stream: Server-Sent Events of status changes, filtered by trace,
// execution or workflow, resumable with Last-Event-ID.
#include "http_api/endpoints.hpp"
#include "stream/stream_hub.hpp"

#include <charconv>

namespace weft::http_api {

http::Response stream(Call& call) {
  stream::StreamFilter filter;
  std::optional<std::int64_t> last_event_id;
  const auto read_id = [&](const std::string& text) {
    std::int64_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size() || value < 0) return false;
    last_event_id = value;
    return true;
  };
  for (const auto& [name, value] : call.request.query) {
    if (name == "trace_id") filter.trace_id = value;
    else if (name == "execution_id") filter.execution_id = value;
    else if (name == "workflow") filter.workflow = value;
    else if (name == "last_event_id") {
      if (!read_id(value))
        return http::error_response(http::ErrorCode::BadRequest, "last_event_id must be an event id this stream sent");
    } else {
      return http::error_response(http::ErrorCode::BadRequest,
                                  "unknown parameter '" + name + "' (trace_id execution_id workflow last_event_id)");
    }
  }
  if (const auto* header = call.request.header("last-event-id"); header != nullptr && !header->empty()) {
    if (!read_id(*header))
      return http::error_response(http::ErrorCode::BadRequest, "Last-Event-ID must be an event id this stream sent");
  }
  http::Response response;
  response.content_type = "text/event-stream; charset=utf-8";
  response.stream = call.stream_hub().subscribe(std::move(filter), last_event_id);
  return response;
}

}  // namespace weft::http_api
