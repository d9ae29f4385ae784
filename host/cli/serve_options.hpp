// `weft serve` settings: defaults, then the --config file, then flags.
#pragma once

#include "cli/args.hpp"
#include "common/json.hpp"
#include "common/log.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <utility>

namespace weft::cli {

struct ServeOptions {
  std::string workflows = "workflows";
  std::optional<std::string> plugins;
  /// The config file's `plugins:` mapping: each plugin's own settings, by plugin name (null: none).
  Json plugin_configs;
  std::optional<std::string> db;
  std::optional<std::string> http;  // ADDRESS:PORT to serve the HTTP API on
  std::size_t http_max_body = 1 << 20;
  /// How far one /v1/stream client may fall behind before it is dropped.
  std::size_t http_stream_buffer = 1 << 20;
  std::optional<std::string> otlp;  // OTLP/HTTP traces endpoint
  std::optional<std::string> tls_cert;
  std::optional<std::string> tls_key;
  int workers = 4;
  int db_pool = 0;  // 0: one connection per worker
  std::chrono::milliseconds db_pool_timeout{5000};
  bool watch = false;
  /// Refuse to start when any definition has errors (else its last valid version serves).
  bool strict = false;
  LogFormat log_format = LogFormat::Text;
  std::chrono::milliseconds lease{15000};
  std::chrono::milliseconds drain_timeout{10000};
  std::chrono::milliseconds slow_query{200};
  std::size_t lua_memory_limit_bytes = 64u << 20;
};

/// `--http` split into address and port: `127.0.0.1:8080`, `[::1]:8080`,
/// `localhost:8080` (as 127.0.0.1), `:8080` (all addresses). UsageError when malformed.
std::pair<std::string, unsigned short> parse_listen_address(const std::string& text);

/// A size: `1048576`, `512KiB`, `1MiB` (also KB/MB as powers of 1024). UsageError otherwise.
std::size_t parse_size(const std::string& text, const std::string& context);

/// Reads the settings. UsageError names the bad flag or `file:line:col` of the bad key.
ServeOptions read_serve_options(const Args& args);

}  // namespace weft::cli
