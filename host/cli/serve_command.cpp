#include "cli/args.hpp"
#include "cli/cli.hpp"
#include "cli/commands.hpp"
#include "cli/plugin_loading.hpp"
#include "cli/serve_options.hpp"
#include "definitions/loader.hpp"
#include "embedded_db/cluster.hpp"
#include "engine/engine.hpp"
#include "reload/workflow_reloader.hpp"
#include "store/store.hpp"
#include "watch/watcher.hpp"

#include <spdlog/spdlog.h>

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
    "                  [--log-format text|json] [--watch]\n"
    "runs the host: routes stored events to workflows and executes them until SIGINT/SIGTERM;\n"
    "with --watch, edits to the workflows directory are validated and served without a restart\n"
    "--plugins DIR loads every *.so in DIR as a C++ plugin (settings: `plugins:` in the config file)";

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
                                 "--db-pool", "--db-pool-timeout", "--log-format", "--lease", "--slow-query"},
                                {"--watch", "--help"}});
  if (args.has("--help")) {
    std::puts(kHelp);
    return kExitOk;
  }
  if (!args.positional().empty()) throw UsageError("unexpected argument '" + args.positional()[0] + "'");
  const auto options = read_serve_options(args);
  // Not built yet: refuse rather than silently run without what was asked for.
  if (options.http) throw UsageError("--http: the HTTP API is not available in this build yet");
  setup_logging(options.log_format);

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
  if (!loaded.diagnostics.empty()) {
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
  engine::Engine engine(engine_options, loaded.definitions);
  try {
    engine.start();
  } catch (const std::exception& error) {
    throw RuntimeError(error.what());
  }
  spdlog::info("serving {} workflow(s) from {}; stop with Ctrl-C", loaded.definitions.size(),
               options.workflows);
  reload::log_older_live_versions(url, loaded.definitions);

  std::unique_ptr<reload::WorkflowReloader> reloader;
  std::unique_ptr<watch::DirectoryWatcher> watcher;
  if (options.watch) {
    // The same spelling of the directory as the first load, so reloads compare file paths like for like.
    reloader = std::make_unique<reload::WorkflowReloader>(engine, options.workflows, url, loaded.definitions,
                                                          load_options);
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
        engine.request_stop();
        return;
      }
    }
  });
  const bool clean = engine.wait();
  if (watcher) watcher->stop();
  stopped = true;
  signal_waiter.join();
  return clean ? kExitOk : kExitFailure;
}

}  // namespace weft::cli
