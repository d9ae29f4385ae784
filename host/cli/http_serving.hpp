// `weft serve --http`: the HTTP API's server, wired to this host's engine,
// definitions health and metrics. Refuses to listen beyond loopback without
// WEFT_API_TOKEN.
#pragma once

#include "cli/serve_options.hpp"

#include <chrono>
#include <memory>

namespace weft::engine {
class Engine;
}
namespace weft::metrics {
class Registry;
}
namespace weft::reload {
class DefinitionHealth;
}

namespace weft::cli {

class HttpServing {
 public:
  /// Checks the options (UsageError: address, token, TLS files) and builds the server.
  HttpServing(const ServeOptions& options, const std::string& database_url, engine::Engine& engine,
              std::shared_ptr<const reload::DefinitionHealth> definitions,
              std::shared_ptr<metrics::Registry> metrics);
  ~HttpServing();
  HttpServing(const HttpServing&) = delete;
  HttpServing& operator=(const HttpServing&) = delete;

  /// Listens (RuntimeError when it cannot) and logs where.
  void start();
  /// New connections are refused; requests under way finish.
  void stop_accepting();
  /// Ends the streams, waits up to `grace` for requests in flight, closes everything.
  void stop(std::chrono::milliseconds grace);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace weft::cli
