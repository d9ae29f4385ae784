#include "http_api/api.hpp"

#include "http/access.hpp"
#include "http_api/endpoints.hpp"
#include "http_api/event_intake.hpp"
#include "http_api/health_history.hpp"
#include "http_api/metrics_snapshot.hpp"
#include "lua/vm.hpp"
#include "metrics/registry.hpp"
#include "stream/stream_hub.hpp"

#include <spdlog/spdlog.h>

#include <mutex>

namespace weft::http_api {
namespace {

using http::ErrorCode;
using http::error_response;
using Endpoint = http::Response (*)(Call&);

/// A route: method, path pattern ("*" matches one segment), endpoint.
struct Route {
  const char* method;
  std::vector<std::string_view> pattern;
  Endpoint endpoint;
};

const std::vector<Route>& routes() {
  static const std::vector<Route> table = {
      {"GET", {"healthz"}, liveness},
      {"GET", {"readyz"}, readiness},
      {"GET", {"metrics"}, metrics},
      {"GET", {"v1", "health"}, health},
      {"POST", {"v1", "events"}, post_events},
      {"GET", {"v1", "workflows"}, list_workflows},
      {"GET", {"v1", "workflows", "*"}, get_workflow},
      {"POST", {"v1", "workflows", "*", "executions"}, start_execution},
      {"GET", {"v1", "executions"}, list_executions},
      {"POST", {"v1", "executions", "cancel"}, cancel_executions},
      {"GET", {"v1", "executions", "*"}, get_execution},
      {"POST", {"v1", "executions", "*", "cancel"}, cancel_execution},
      {"POST", {"v1", "executions", "*", "signals", "*"}, signal_execution},
      {"GET", {"v1", "traces", "*"}, get_trace},
      {"GET", {"v1", "stream"}, stream},
      {"GET", {"v1", "dlq"}, list_dead_letters},
      {"POST", {"v1", "dlq", "retry"}, retry_dead_letters},
      {"POST", {"v1", "dlq", "*", "retry"}, retry_dead_letter},
  };
  return table;
}

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> segments;
  std::size_t start = 1;
  while (start <= path.size()) {
    const auto slash = path.find('/', start);
    const auto end = slash == std::string::npos ? path.size() : slash;
    if (end > start) segments.push_back(path.substr(start, end - start));
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return segments;
}

bool matches(const Route& route, const std::vector<std::string>& segments) {
  if (route.pattern.size() != segments.size()) return false;
  for (std::size_t i = 0; i < segments.size(); ++i) {
    if (route.pattern[i] != "*" && route.pattern[i] != segments[i]) return false;
  }
  // A literal route wins over a wildcard one (`executions/cancel` is not an id):
  // the table lists literal routes first.
  return true;
}

ReceivedCounters received_counters(metrics::Registry* registry) {
  if (registry == nullptr) return {};
  auto& family = registry->counter("weft_events_received_total",
                                   "Events this host's intake received, by what became of them: stored, duplicate "
                                   "(acknowledged, already stored) or refused (invalid, nothing stored)",
                                   {"intake", "outcome"});
  return {&family.labels({"http", "stored"}), &family.labels({"http", "duplicate"}),
          &family.labels({"http", "refused"})};
}

}  // namespace

struct Api::Impl {
  explicit Impl(ApiOptions options_in) : options(std::move(options_in)) {
    stores.resize(options.workers);
    vms.resize(options.workers);
  }
  ApiOptions options;
  std::vector<std::unique_ptr<store::Store>> stores;  // one per handler thread
  std::vector<std::unique_ptr<lua::Vm>> vms;
  HealthHistory health_history;
  DatabaseMetrics database_metrics;
  ReceivedCounters received = received_counters(options.metrics.get());
  std::mutex hub_mutex;
  std::unique_ptr<stream::StreamHub> hub;  // made by the first /v1/stream request
  bool streams_closed = false;
  std::once_flag intake_once;
  std::unique_ptr<EventIntake> intake;  // made by the first POST /v1/events

  stream::StreamHub& stream_hub() {
    std::lock_guard lock(hub_mutex);
    if (!hub) {
      stream::StreamOptions stream_options{options.database_url};
      stream_options.client_buffer_bytes = options.stream_buffer_bytes;
      hub = std::make_unique<stream::StreamHub>(std::move(stream_options));
      if (streams_closed) hub->stop();
    }
    return *hub;
  }
};

Api::Api(ApiOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
Api::~Api() = default;

void Api::close_streams() {
  std::lock_guard lock(impl_->hub_mutex);
  impl_->streams_closed = true;
  if (impl_->hub) impl_->hub->stop();
}

std::uint64_t Api::stream_drops() {
  std::lock_guard lock(impl_->hub_mutex);
  return impl_->hub ? impl_->hub->dropped() : 0;
}

http::Response Api::handle(const http::Request& request, std::size_t worker) {
  auto& impl = *impl_;
  if (auto file = dashboard_file(request)) return std::move(*file);
  if (const auto refused = http::refusal(request, impl.options.token))
    return error_response(ErrorCode::Unauthorized, *refused);
  const auto segments = split_path(request.path);
  const Route* found = nullptr;
  std::string allowed;
  for (const auto& route : routes()) {
    if (!matches(route, segments)) continue;
    if (request.method == route.method || (request.method == "HEAD" && std::string_view(route.method) == "GET")) {
      found = &route;
      break;
    }
    if (allowed.find(route.method) == std::string::npos) allowed += (allowed.empty() ? "" : ", ") + std::string(route.method);
  }
  if (found == nullptr) {
    if (!allowed.empty()) {
      auto response = error_response(ErrorCode::MethodNotAllowed,
                                     request.method + " is not allowed on " + request.path + " (allowed: " + allowed + ")");
      response.headers.emplace_back("Allow", allowed);
      return response;
    }
    return error_response(ErrorCode::NotFound, "no endpoint " + request.path);
  }
  Call call{request,
            segments,
            impl.options,
            [&impl, worker]() -> store::Store& {
              auto& slot = impl.stores.at(worker);
              if (!slot) slot = std::make_unique<store::Store>(impl.options.database_url);
              return *slot;
            },
            [&impl, worker] { impl.stores.at(worker).reset(); },
            [&impl, worker]() -> lua::Vm& {
              auto& slot = impl.vms.at(worker);
              if (!slot) slot = std::make_unique<lua::Vm>(lua::VmOptions{impl.options.workflows_dir});
              return *slot;
            },
            impl.health_history,
            impl.database_metrics,
            impl.received,
            [&impl]() -> stream::StreamHub& { return impl.stream_hub(); },
            [&impl]() -> EventIntake& {
              std::call_once(impl.intake_once,
                             [&impl] { impl.intake = std::make_unique<EventIntake>(impl.options.database_url); });
              return *impl.intake;
            }};
  try {
    return found->endpoint(call);
  } catch (const store::StoreError& error) {
    // The connection may be broken: the next request on this thread makes a new one.
    impl.stores.at(worker).reset();
    spdlog::warn("http: {} {}: {}", request.method, request.path, error.what());
    return error_response(ErrorCode::Unavailable, std::string("the database failed: ") + error.what());
  }
}

}  // namespace weft::http_api
