// `weft serve` settings: defaults, then the --config file, then flags.
#pragma once

#include "cli/args.hpp"
#include "common/json.hpp"
#include "common/log.hpp"

#include <chrono>
#include <optional>
#include <string>

namespace weft::cli {

struct ServeOptions {
  std::string workflows = "workflows";
  std::optional<std::string> plugins;
  /// The config file's `plugins:` mapping: each plugin's own settings, by plugin name (null: none).
  Json plugin_configs;
  std::optional<std::string> db;
  std::optional<std::string> http;
  int workers = 4;
  int db_pool = 0;  // 0: one connection per worker
  std::chrono::milliseconds db_pool_timeout{5000};
  bool watch = false;
  LogFormat log_format = LogFormat::Text;
  std::chrono::milliseconds lease{15000};
  std::chrono::milliseconds drain_timeout{10000};
  std::chrono::milliseconds slow_query{200};
  std::size_t lua_memory_limit_bytes = 64u << 20;
};

/// Reads the settings. UsageError names the bad flag or `file:line:col` of the bad key.
ServeOptions read_serve_options(const Args& args);

}  // namespace weft::cli
