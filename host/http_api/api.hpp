// The HTTP API's endpoints: events in, executions, traces, the dead-letter
// queue, health and metrics, and the live stream. It turns requests into calls
// on the store and the api/ operations (the same ones the CLI makes) and their
// results into the JSON shapes of host/views; http/ carries the bytes.
#pragma once

#include "http/message.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace weft::metrics {
class Registry;
}

namespace weft::http_api {

/// What the host knows about itself without asking the database.
struct HostHealth {
  bool started = false;
  bool stopping = false;
  int pool_size = 0;
  int pool_in_use = 0;
  int pool_waiting = 0;
  std::int64_t pool_timeouts = 0;
  std::int64_t since_heartbeat_ms = 0;  // since the lease was last renewed
  std::int64_t lease_ms = 0;
  int active_executions = 0;
  int max_active_executions = 0;
  std::vector<std::string> open_breakers;
  std::vector<std::string> half_open_breakers;
};

/// A workflow that serves an older version because its file is invalid.
struct StaleDefinition {
  std::string workflow;
  std::string file;
  std::string error;          // the first problem, as file:line:col: message
  std::string served_version;  // empty: none is served
};

struct ApiOptions {
  std::string database_url;
  /// WEFT_API_TOKEN: when set, every request must carry it as a bearer token.
  std::optional<std::string> token;
  /// The server's handler threads: one database connection each, made on first use.
  std::size_t workers = 4;
  std::function<HostHealth()> host_health;
  std::function<std::vector<StaleDefinition>()> stale_definitions;
  /// Families the host records (engine, server); /metrics adds the database's.
  std::shared_ptr<metrics::Registry> metrics;
  /// How far one /v1/stream client may fall behind before it is dropped.
  std::size_t stream_buffer_bytes = 1 << 20;
  /// Lua `require` root for templates evaluated when starting an execution.
  std::string workflows_dir;
};

class Api {
 public:
  explicit Api(ApiOptions options);
  ~Api();
  Api(const Api&) = delete;
  Api& operator=(const Api&) = delete;

  /// The server's handler (http::Handler): never throws for bad input, only
  /// for faults of the host (answered 500 by the server).
  http::Response handle(const http::Request& request, std::size_t worker);

  /// Ends every open event stream (on shutdown, before the server stops).
  void close_streams();
  /// /v1/stream clients dropped for falling behind, since start.
  std::uint64_t stream_drops();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace weft::http_api
