// Internal to http_api/: what an endpoint gets, and the endpoints, one file per
// resource. An endpoint returns its response; bad input is answered with an
// error response, never thrown.
#pragma once

#include "common/json.hpp"
#include "http/error_codes.hpp"
#include "http/message.hpp"
#include "http_api/api.hpp"
#include "store/store.hpp"

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace weft::lua {
class Vm;
}

namespace weft::metrics {
class Counter;
}

namespace weft::stream {
class StreamHub;
}

namespace weft::http_api {

class HealthHistory;
class DatabaseMetrics;
class EventIntake;

/// weft_events_received_total{intake="http",outcome}: events POSTed to this
/// host, by what became of them (null without metrics).
struct ReceivedCounters {
  metrics::Counter* stored = nullptr;
  metrics::Counter* duplicate = nullptr;
  metrics::Counter* refused = nullptr;
};

/// One request on its handler thread, with that thread's connections.
struct Call {
  const http::Request& request;
  std::vector<std::string> segments;  // the path split at '/', e.g. {"v1","executions","<id>"}
  const ApiOptions& options;
  std::function<store::Store&()> store;  // connects on first use
  std::function<void()> drop_store;       // after a database error: the next use connects anew
  std::function<lua::Vm&()> vm;          // made on first use
  HealthHistory& health_history;
  DatabaseMetrics& database_metrics;
  const ReceivedCounters& received;
  std::function<stream::StreamHub&()> stream_hub;  // started on first use
  std::function<EventIntake&()> intake;    // started on first use
};

/// A JSON body with a status.
http::Response json_response(int status, const Json& body);
/// The request body as JSON (an empty body is `{}`); nullopt after answering `error`.
std::optional<Json> read_json_body(const Call& call, http::Response& error);

/// The dashboard's page and files (GET / and /ui/...); nullopt for any other request.
std::optional<http::Response> dashboard_file(const http::Request& request);

http::Response post_events(Call& call);

http::Response list_workflows(Call& call);
http::Response get_workflow(Call& call);  // ?content_hash=: that version, else the served one
http::Response start_execution(Call& call);  // POST /v1/workflows/{id}/executions
http::Response get_execution(Call& call);
http::Response list_executions(Call& call);
http::Response signal_execution(Call& call);
http::Response cancel_execution(Call& call);
http::Response cancel_executions(Call& call);  // bulk, by filter

http::Response get_trace(Call& call);
http::Response list_dead_letters(Call& call);
http::Response retry_dead_letter(Call& call);
http::Response retry_dead_letters(Call& call);  // bulk, by filter

http::Response liveness(Call& call);
http::Response readiness(Call& call);
http::Response health(Call& call);
http::Response metrics(Call& call);
http::Response stream(Call& call);

}  // namespace weft::http_api
