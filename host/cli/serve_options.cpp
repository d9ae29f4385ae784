#include "cli/serve_options.hpp"

#include "common/duration.hpp"
#include "definitions/yaml_reader.hpp"

#include <yaml-cpp/yaml.h>

#include <charconv>

namespace weft::cli {
namespace {

std::string where(const std::string& file, const YAML::Node& node) {
  const auto mark = node.Mark();
  return file + ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1) + ": ";
}

int parse_count(const std::string& text, const std::string& context, const char* what) {
  int value = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || ptr != text.data() + text.size() || value < 1 || value > 1024)
    throw UsageError(context + what + " must be an integer from 1 to 1024, got '" + text + "'");
  return value;
}


LogFormat parse_log_format(const std::string& text, const std::string& context) {
  if (text == "text") return LogFormat::Text;
  if (text == "json") return LogFormat::JsonLines;
  throw UsageError(context + "log format must be text or json, got '" + text + "'");
}

bool parse_flag(const std::string& text, const std::string& context, const char* what) {
  if (text == "true" || text == "True" || text == "TRUE") return true;
  if (text == "false" || text == "False" || text == "FALSE") return false;
  throw UsageError(context + what + " must be true or false, got '" + text + "'");
}

std::chrono::milliseconds parse_positive_duration(const std::string& text, const std::string& context) {
  const auto value = parse_duration(text);
  if (!value || value->count() <= 0)
    throw UsageError(context + "expected a duration like 500ms, 15s or 1m, got '" + text + "'");
  return *value;
}

void apply_config_file(const std::string& file, ServeOptions& options) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(file);
  } catch (const YAML::BadFile&) {
    throw UsageError("cannot read config file '" + file + "'");
  } catch (const YAML::Exception& error) {
    throw UsageError(file + ":" + std::to_string(error.mark.line + 1) + ":" +
                     std::to_string(error.mark.column + 1) + ": " + error.msg);
  }
  if (root.IsNull()) return;
  if (!root.IsMap()) throw UsageError(where(file, root) + "the config file must be a mapping");
  for (const auto& entry : root) {
    const auto key = entry.first.as<std::string>();
    const auto& value = entry.second;
    const auto context = where(file, value) + key + ": ";
    if (key == "plugins") {
      // Per-plugin settings, handed to each plugin's init as JSON.
      if (!value.IsMap()) throw UsageError(context + "expected a mapping of plugin name to its settings");
      options.plugin_configs = definitions::to_json(value);
      continue;
    }
    if (!value.IsScalar()) throw UsageError(context + "expected a single value");
    const auto text = value.as<std::string>();
    if (key == "workflows") options.workflows = text;
    else if (key == "plugins_dir") options.plugins = text;
    else if (key == "db") options.db = text;
    else if (key == "http") options.http = text;
    else if (key == "http_max_body") options.http_max_body = parse_size(text, context);
    else if (key == "tls_cert") options.tls_cert = text;
    else if (key == "tls_key") options.tls_key = text;
    else if (key == "workers") options.workers = parse_count(text, context, "workers");
    else if (key == "db_pool") options.db_pool = parse_count(text, context, "db_pool");
    else if (key == "db_pool_timeout") options.db_pool_timeout = parse_positive_duration(text, context);
    else if (key == "log_format") options.log_format = parse_log_format(text, context);
    else if (key == "lease") options.lease = parse_positive_duration(text, context);
    else if (key == "drain_timeout") options.drain_timeout = parse_positive_duration(text, context);
    else if (key == "slow_query") options.slow_query = parse_positive_duration(text, context);
    else if (key == "strict") options.strict = parse_flag(text, context, "strict");
    else if (key == "lua_memory_limit_mb") options.lua_memory_limit_bytes = static_cast<std::size_t>(parse_count(text, context, "lua_memory_limit_mb")) << 20;
    else
      throw UsageError(where(file, entry.first) + "unknown setting '" + key +
                       "' (workflows plugins_dir db http http_max_body tls_cert tls_key workers db_pool db_pool_timeout log_format lease drain_timeout slow_query "
                       "strict lua_memory_limit_mb plugins)");
  }
}

}  // namespace

std::pair<std::string, unsigned short> parse_listen_address(const std::string& text) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos)
    throw UsageError("--http: expected ADDRESS:PORT such as 127.0.0.1:8080, got '" + text + "'");
  std::string host = text.substr(0, colon);
  const auto port_text = text.substr(colon + 1);
  int port = -1;
  const auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc{} || ptr != port_text.data() + port_text.size() || port < 0 || port > 65535)
    throw UsageError("--http: the port must be a number from 0 to 65535, got '" + port_text + "'");
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (host.empty()) host = "0.0.0.0";
  if (host == "localhost") host = "127.0.0.1";
  return {host, static_cast<unsigned short>(port)};
}

std::size_t parse_size(const std::string& text, const std::string& context) {
  std::size_t value = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  const std::string unit(ptr, text.data() + text.size());
  std::size_t scale = 0;
  if (unit.empty() || unit == "B") scale = 1;
  else if (unit == "KiB" || unit == "KB" || unit == "k") scale = 1024;
  else if (unit == "MiB" || unit == "MB" || unit == "m") scale = 1024 * 1024;
  if (ec != std::errc{} || ptr == text.data() || scale == 0 || value == 0 || value > (1u << 30) / scale)
    throw UsageError(context + "expected a size from 1 byte to 1GiB such as 1MiB or 65536, got '" + text + "'");
  return value * scale;
}

ServeOptions read_serve_options(const Args& args) {
  ServeOptions options;
  if (const auto config = args.value("--config")) apply_config_file(*config, options);
  if (const auto value = args.value("--workflows")) options.workflows = *value;
  if (const auto value = args.value("--plugins")) options.plugins = *value;
  if (const auto value = args.value("--db")) options.db = *value;
  if (const auto value = args.value("--http")) options.http = *value;
  if (const auto value = args.value("--http-max-body")) options.http_max_body = parse_size(*value, "--http-max-body: ");
  if (const auto value = args.value("--http-stream-buffer"))
    options.http_stream_buffer = parse_size(*value, "--http-stream-buffer: ");
  if (const auto value = args.value("--otlp")) options.otlp = *value;
  if (const auto value = args.value("--tls-cert")) options.tls_cert = *value;
  if (const auto value = args.value("--tls-key")) options.tls_key = *value;
  if (options.tls_cert.has_value() != options.tls_key.has_value())
    throw UsageError("--tls-cert and --tls-key go together");
  if (options.tls_cert && !options.http) throw UsageError("--tls-cert needs --http");
  if (const auto value = args.value("--workers")) options.workers = parse_count(*value, "--workers: ", "workers");
  if (const auto value = args.value("--db-pool"))
    options.db_pool = parse_count(*value, "--db-pool: ", "the pool size");
  if (const auto value = args.value("--db-pool-timeout"))
    options.db_pool_timeout = parse_positive_duration(*value, "--db-pool-timeout: ");
  if (const auto value = args.value("--log-format")) options.log_format = parse_log_format(*value, "--log-format: ");
  if (const auto value = args.value("--lease")) options.lease = parse_positive_duration(*value, "--lease: ");
  if (const auto value = args.value("--slow-query"))
    options.slow_query = parse_positive_duration(*value, "--slow-query: ");
  options.watch = args.has("--watch");
  if (args.has("--strict")) options.strict = true;
  return options;
}

}  // namespace weft::cli
