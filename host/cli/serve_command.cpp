#include "cli/args.hpp"
#include "cli/cli.hpp"
#include "cli/commands.hpp"
#include "cli/http_serving.hpp"
#include "cli/plugin_loading.hpp"
#include "cli/serve_options.hpp"
#include "definitions/loader.hpp"
#include "embedded_db/cluster.hpp"
#include "engine/engine.hpp"
#include "metrics/registry.hpp"
#include "reload/start_definitions.hpp"
#include "reload/workflow_reloader.hpp"
#include "store/store.hpp"
#include "tracing/otlp_exporter.hpp"
#include "watch/watcher.hpp"

#include <spdlog/spdlog.h>

#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <thread>

namespace weft::cli {
namespace {

constexpr const char* kHelp =
    "usage: weft serve [--config weft.yaml] [--workflows DIR] [--plugins DIR] [--db URL]\n"
    "                  [--workers N] [--db-pool N] [--db-pool-timeout 5s] [--lease 15s] [--slow-query 200ms]\n"
    "                  [--log-format text|json] [--watch] [--strict]\n"
    "                  [--http ADDRESS:PORT [--http-max-body 1MiB] [--http-stream-buffer 1MiB]\n"
    "                                      [--tls-cert FILE --tls-key FILE]] [--otlp http://HOST:4318/v1/traces]\n"
    "runs the host: routes stored events to workflows and executes them until SIGINT/SIGTERM;\n"
    "with --watch, edits to the workflows directory are validated and served without a restart\n"
    "a workflow whose file has errors serves its last valid version from the database; --strict refuses to start\n"
    "--plugins DIR loads every *.so in DIR as a C++ plugin (settings: `plugins:` in the config file)\n"
    "--http serves the HTTP API (events, executions, stream, health, metrics); beyond loopback it needs\n"
    "WEFT_API_TOKEN, which every request must then send as 'Authorization: Bearer <token>'\n"
    "--otlp sends spans of executions, step attempts and lock waits to an OpenTelemetry collector (OTLP/HTTP)";

/// Each HTTP connection (a dashboard's stream, say) holds a descriptor: take
/// what the system allows rather than the 1024 shells often start with.
void raise_open_file_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= limit.rlim_max) return;
  limit.rlim_cur = limit.rlim_max;
  if (setrlimit(RLIMIT_NOFILE, &limit) != 0) spdlog::debug("could not raise the open-file limit");
}

std::string host_name() {
  char name[256] = {};
  return gethostname(name, sizeof name - 1) == 0 ? std::string(name) : std::string();
}

/// The exporter's counts in /metrics (spans that did not reach the collector are counted, never waited for).
metrics::Collector count_exports(metrics::Registry& registry, std::shared_ptr<tracing::OtlpExporter> otlp) {
  auto& exported = registry.gauge("weft_otlp_spans_exported", "Spans the OTLP collector accepted, since start");
  auto& dropped = registry.gauge("weft_otlp_spans_dropped",
                                 "Spans dropped: the export queue was full or the collector failed, since start");
  auto& failures = registry.gauge("weft_otlp_export_failures", "Export requests that failed, since start");
  return registry.on_collect([otlp = std::move(otlp), &exported, &dropped, &failures] {
    const auto stats = otlp->stats();
    exported.labels().set(static_cast<double>(stats.exported));
    dropped.labels().set(static_cast<double>(stats.dropped));
    failures.labels().set(static_cast<double>(stats.failed_requests));
  });
}

sigset_t stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

}  // namespace

int run_serve(const CommandArgs& raw) {
  const Args args(raw, FlagSpec{{"--config", "--workflows", "--plugins", "--db", "--http", "--workers",
                                 "--db-pool", "--db-pool-timeout", "--log-format", "--lease", "--slow-query",
                                 "--http-max-body", "--http-stream-buffer", "--tls-cert", "--tls-key", "--otlp"},
                                {"--watch", "--strict", "--help"}});
  if (args.has("--help")) {
    std::puts(kHelp);
    return kExitOk;
  }
  if (!args.positional().empty()) throw UsageError("unexpected argument '" + args.positional()[0] + "'");
  const auto options = read_serve_options(args);
  setup_logging(options.log_format);
  raise_open_file_limit();

  std::error_code ec;
  if (!std::filesystem::is_directory(options.workflows, ec))
    throw UsageError("workflows directory '" + options.workflows + "' does not exist (use --workflows)");
  std::shared_ptr<plugins::PluginHost> plugin_host;
  definitions::LoadOptions load_options;
  if (options.plugins) {
    plugin_host = load_plugins(*options.plugins, options.plugin_configs);
    load_options = checked_against(plugin_host);
  }
  auto loaded = definitions::load_directory(options.workflows, load_options);
  if (!loaded.diagnostics.empty() && options.strict) {
    for (const auto& diagnostic : loaded.diagnostics) std::fprintf(stderr, "%s\n", diagnostic.to_string().c_str());
    throw UsageError(std::to_string(loaded.diagnostics.size()) + " error(s) in " + options.workflows +
                     "; fix them or run 'weft validate'");
  }

  std::string url;
  try {
    url = embedded_db::resolve_database_url(options.db);
  } catch (const std::exception& error) {
    throw RuntimeError(error.what());
  }
  // Without --strict, errors are logged and each workflow whose file has them
  // serves its last valid version.
  const auto health = std::make_shared<reload::DefinitionHealth>();
  loaded.definitions = reload::with_last_valid_versions(loaded, url, load_options, *health);

  // Signals are taken by one thread with sigtimedwait; every other thread
  // inherits the blocked mask, so no signal interrupts a worker mid-step.
  const sigset_t signals = stop_signals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  engine::EngineOptions engine_options;
  engine_options.database_url = url;
  engine_options.workers = options.workers;
  engine_options.db_pool = options.db_pool;
  engine_options.db_pool_timeout = options.db_pool_timeout;
  engine_options.lease = options.lease;
  engine_options.drain_timeout = options.drain_timeout;
  engine_options.slow_query = options.slow_query;
  engine_options.workflows_dir = std::filesystem::absolute(options.workflows);
  engine_options.lua_memory_limit_bytes = options.lua_memory_limit_bytes;
  engine_options.plugins = plugin_host;
  std::shared_ptr<metrics::Registry> registry;
  if (options.http) registry = std::make_shared<metrics::Registry>();
  engine_options.metrics = registry;
  std::shared_ptr<tracing::OtlpExporter> otlp;
  metrics::Collector otlp_metrics;
  if (options.otlp) {
    tracing::OtlpOptions otlp_options;
    otlp_options.url = *options.otlp;
    otlp_options.host_name = host_name();
    try {
      otlp = std::make_shared<tracing::OtlpExporter>(std::move(otlp_options));
    } catch (const std::invalid_argument& error) {
      throw UsageError(error.what());
    }
    engine_options.spans = otlp;
    if (registry) otlp_metrics = count_exports(*registry, otlp);
  }
  engine::Engine engine(engine_options, loaded.definitions);
  // Checked before the engine starts: a bad --http flag changes nothing.
  std::unique_ptr<HttpServing> http;
  if (options.http) http = std::make_unique<HttpServing>(options, url, engine, health, registry);
  try {
    engine.start();
  } catch (const std::exception& error) {
    throw RuntimeError(error.what());
  }
  if (http) http->start();
  spdlog::info("serving {} workflow(s) from {}; stop with Ctrl-C", loaded.definitions.size(),
               options.workflows);
  reload::log_older_live_versions(url, loaded.definitions);
  reload::record_served(url, loaded.definitions);

  std::unique_ptr<reload::WorkflowReloader> reloader;
  std::unique_ptr<watch::DirectoryWatcher> watcher;
  if (options.watch) {
    // The same spelling of the directory as the first load, so reloads compare file paths like for like.
    reloader = std::make_unique<reload::WorkflowReloader>(engine, options.workflows, url, loaded.definitions,
                                                          load_options, health);
    // One root per watched directory, each with its own callback.
    std::vector<watch::WatchedRoot> roots{
        {options.workflows, [&reloader](const std::vector<std::filesystem::path>&) { reloader->reload(); }}};
    if (plugin_host) {
      // Definitions are checked against the plugins loaded now, so a plugin
      // change re-checks them too (an invalid one keeps its previous version).
      roots.push_back({*options.plugins, [&reloader, plugin_host](const std::vector<std::filesystem::path>& changed) {
                         if (apply_plugin_changes(*plugin_host, changed)) reloader->reload();
                       }});
    }
    watcher = std::make_unique<watch::DirectoryWatcher>(std::move(roots));
    try {
      watcher->start();
    } catch (const std::exception& error) {
      throw RuntimeError(std::string("--watch: ") + error.what());  // ~Engine drains and stops
    }
    spdlog::info("watching {}{} for changes", options.workflows,
                 plugin_host ? " and " + *options.plugins : std::string());
  }

  std::atomic<bool> stopped{false};
  std::thread signal_waiter([&] {
    const timespec tick{0, 200'000'000};
    while (!stopped) {
      const int signal = sigtimedwait(&signals, nullptr, &tick);
      if (signal == SIGINT || signal == SIGTERM) {
        spdlog::info("received {}; draining", signal == SIGINT ? "SIGINT" : "SIGTERM");
        // New requests are refused first; those under way finish while the engine drains.
        if (http) http->stop_accepting();
        engine.request_stop();
        return;
      }
    }
  });
  const bool clean = engine.wait();
  if (http) http->stop(std::chrono::seconds(5));
  if (watcher) watcher->stop();
  stopped = true;
  signal_waiter.join();
  return clean ? kExitOk : kExitFailure;
}

}  // namespace weft::cli
