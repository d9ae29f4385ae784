// The host's execution engine: routes stored events to executions, claims
// executions with a lease, runs their steps on a worker pool and checkpoints
// every attempt and result before the next step starts. Several engines (on
// several machines) share one database; fencing keeps them from colliding.
#pragma once

#include "definitions/definition.hpp"
#include "plugins/plugin_host.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace weft::metrics {
class Registry;
}
namespace weft::tracing {
class SpanSink;
}

namespace weft::engine {

struct EngineOptions {
  std::string database_url;
  int workers = 4;
  /// Database connections shared by the workers; 0 means one per worker.
  int db_pool = 0;
  /// How long a worker waits for a pooled connection before its attempt fails with `pool_timeout`.
  std::chrono::milliseconds db_pool_timeout{5000};
  /// A host that misses heartbeats this long is presumed dead; its executions move on.
  std::chrono::milliseconds lease{15000};
  /// Executions held in memory at once (running, or waiting for a retry).
  int max_active_executions = 256;
  std::filesystem::path workflows_dir;  // root for Lua `require`
  std::size_t lua_memory_limit_bytes = 64u << 20;
  /// Step SQL slower than this is logged with its trace id and listed in the attempt.
  std::chrono::milliseconds slow_query{200};
  /// On stop, how long running attempts may take to finish before they are interrupted.
  std::chrono::milliseconds drain_timeout{10000};
  /// Runs `plugin:` actions; null: they fail with `unknown_action`.
  std::shared_ptr<const plugins::PluginHost> plugins;
  /// Where the engine records its metrics (families in engine/engine_metrics.hpp); null: none.
  std::shared_ptr<metrics::Registry> metrics;
  /// Where the engine reports spans (engine/engine_spans.hpp); null: tracing off, no spans built.
  std::shared_ptr<tracing::SpanSink> spans;
};

/// What a health check needs to know about the engine, read from memory only.
struct EngineStats {
  std::string host_id;
  bool started = false;   // start() has completed
  bool stopping = false;  // request_stop() was called: draining, or stopped
  struct Pool {
    int size = 0;
    int in_use = 0;
    int waiting = 0;             // workers waiting for a connection now
    std::uint64_t timeouts = 0;  // borrows that gave up, since start
  } pool;
  /// Since the host last renewed its lease (a heartbeat, or registering); none before start.
  std::optional<std::chrono::milliseconds> since_heartbeat;
  std::chrono::milliseconds lease{0};
  int active_executions = 0;  // held by this host
  int max_active_executions = 0;
  /// Action keys (`lua:<workflow>/<script>`, `plugin:<name>.<action>`) whose circuit is open / half-open.
  std::vector<std::string> open_circuits;
  std::vector<std::string> half_open_circuits;
};

class Engine {
 public:
  Engine(EngineOptions options, std::vector<definitions::DefinitionPtr> definitions);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  /// Registers this host, stores the definitions and starts the threads.
  /// Throws store::StoreError when the database cannot be used.
  void start();
  /// Asks the engine to drain and stop; returns at once. Thread-safe.
  void request_stop();
  /// Blocks until the engine stopped. A lost lease does not stop it: the host
  /// drops what it held and rejoins under a new identity. Returns true.
  bool wait();

  /// Serves `definitions` to new events from now on: stores their snapshots,
  /// then swaps the router in one step. Executions already started stay on the
  /// version they are pinned to (replaced and removed ones included). Throws
  /// store::StoreError, changing nothing, when the snapshots cannot be stored.
  void replace_definitions(std::vector<definitions::DefinitionPtr> definitions);

  /// The current identity (it changes when the host rejoins after losing its lease).
  std::string host_id() const;

  /// A snapshot for health checks. Thread-safe, callable at any time (before
  /// start, while stopping); never touches the database nor waits for a run.
  EngineStats stats() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace weft::engine
