#include "cli/http_serving.hpp"

#include "engine/engine.hpp"
#include "http/access.hpp"
#include "http/server.hpp"
#include "http_api/api.hpp"
#include "metrics/registry.hpp"
#include "reload/definition_health.hpp"

#include <spdlog/spdlog.h>

#include <cstdlib>

namespace weft::cli {
namespace {

std::optional<std::string> api_token() {
  const char* token = std::getenv("WEFT_API_TOKEN");
  if (token == nullptr || *token == '\0') return std::nullopt;
  return std::string(token);
}

http_api::HostHealth host_health(const engine::Engine& engine) {
  const auto stats = engine.stats();
  http_api::HostHealth health;
  health.started = stats.started;
  health.stopping = stats.stopping;
  health.pool_size = stats.pool.size;
  health.pool_in_use = stats.pool.in_use;
  health.pool_waiting = stats.pool.waiting;
  health.pool_timeouts = static_cast<std::int64_t>(stats.pool.timeouts);
  health.since_heartbeat_ms = stats.since_heartbeat ? stats.since_heartbeat->count() : 0;
  health.lease_ms = stats.lease.count();
  health.active_executions = stats.active_executions;
  health.max_active_executions = stats.max_active_executions;
  health.open_breakers = stats.open_circuits;
  health.half_open_breakers = stats.half_open_circuits;
  return health;
}

}  // namespace

struct HttpServing::Impl {
  std::unique_ptr<http_api::Api> api;
  std::unique_ptr<http::Server> server;
  std::string where;
  metrics::Collector server_metrics;
};

HttpServing::HttpServing(const ServeOptions& options, const std::string& database_url, engine::Engine& engine,
                         std::shared_ptr<const reload::DefinitionHealth> definitions,
                         std::shared_ptr<metrics::Registry> metrics)
    : impl_(std::make_unique<Impl>()) {
  const auto [host, port] = parse_listen_address(*options.http);
  const auto token = api_token();
  if (!http::is_loopback(host) && !token)
    throw UsageError("--http " + *options.http +
                     " listens beyond loopback: set WEFT_API_TOKEN (every request must then carry it as a bearer "
                     "token), or listen on 127.0.0.1");
  http::ServerOptions server_options;
  server_options.host = host;
  server_options.port = port;
  server_options.max_body = options.http_max_body;
  if (options.tls_cert) server_options.tls = http::TlsFiles{*options.tls_cert, *options.tls_key};

  http_api::ApiOptions api_options;
  api_options.database_url = database_url;
  api_options.token = token;
  api_options.workers = static_cast<std::size_t>(server_options.handler_threads);
  api_options.workflows_dir = options.workflows;
  api_options.metrics = metrics;
  api_options.stream_buffer_bytes = options.http_stream_buffer;
  api_options.host_health = [&engine] { return host_health(engine); };
  api_options.stale_definitions = [definitions] {
    std::vector<http_api::StaleDefinition> stale;
    for (const auto& entry : definitions->stale())
      stale.push_back({entry.workflow, entry.file, entry.error, entry.version});
    return stale;
  };
  impl_->api = std::make_unique<http_api::Api>(std::move(api_options));
  impl_->server = std::make_unique<http::Server>(
      server_options, [api = impl_->api.get()](const http::Request& request, std::size_t worker) {
        return api->handle(request, worker);
      });
  impl_->where = std::string(options.tls_cert ? "https://" : "http://") +
                 (host.find(':') != std::string::npos ? "[" + host + "]" : host);
  if (metrics) {
    auto& connections = metrics->gauge("weft_http_connections", "Open HTTP connections");
    auto& streams = metrics->gauge("weft_http_streams", "Open /v1/stream clients");
    auto& rejected = metrics->gauge("weft_http_rejected_connections", "Connections closed unread: over the cap, since start");
    auto& busy = metrics->gauge("weft_http_busy_rejections", "Requests answered 503: handler queue full, since start");
    auto& drops = metrics->gauge("weft_http_stream_drops",
                                 "/v1/stream clients dropped for falling behind (--http-stream-buffer), since start");
    impl_->server_metrics = metrics->on_collect([server = impl_->server.get(), api = impl_->api.get(), &connections,
                                                 &streams, &rejected, &busy, &drops] {
      const auto stats = server->stats();
      connections.labels().set(static_cast<double>(stats.open_connections));
      streams.labels().set(static_cast<double>(stats.streams));
      rejected.labels().set(static_cast<double>(stats.rejected_connections));
      busy.labels().set(static_cast<double>(stats.busy_rejections));
      drops.labels().set(static_cast<double>(api->stream_drops()));
    });
  }
}

HttpServing::~HttpServing() {
  impl_->server_metrics.reset();
  if (impl_->server) impl_->server->stop(std::chrono::milliseconds(0));
  impl_->api.reset();  // its intake answers what it still holds while the server's executor exists
}

void HttpServing::start() {
  try {
    impl_->server->start();
  } catch (const std::exception& error) {
    throw RuntimeError(error.what());
  }
  spdlog::info("HTTP API on {}:{}", impl_->where, impl_->server->port());
}

void HttpServing::stop_accepting() { impl_->server->stop_accepting(); }

void HttpServing::stop(std::chrono::milliseconds grace) {
  impl_->api->close_streams();
  impl_->server->stop(grace);
}

}  // namespace weft::cli
