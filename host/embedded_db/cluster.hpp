// The embedded database: a private PostgreSQL cluster under
// $WEFT_HOME/pg, reachable only through a Unix socket there, created on first
// use and started by whichever weft command needs it.
#pragma once

#include "embedded_db/layout.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace weft::embedded_db {

struct ClusterStatus {
  bool initialized = false;  // initdb has completed
  bool running = false;      // a live postmaster owns the data directory
  int pid = 0;               // the postmaster's pid when running, else 0
  std::string url;           // libpq URI of the "weft" database
  std::filesystem::path data_dir;
};

class Cluster {
 public:
  explicit Cluster(std::filesystem::path home);

  /// Creates the cluster on first use, starts it unless running, waits until it
  /// accepts connections and makes sure database "weft" exists. Safe to call
  /// from several processes at once. Throws std::runtime_error.
  void start();

  /// Fast shutdown (open sessions are disconnected); no-op when not running.
  void stop();

  ClusterStatus status() const;

  /// `postgresql://weft@/<database>?host=<abs run dir>`; does not start anything.
  std::string url(std::string_view database = "weft") const;

  const Layout& layout() const { return layout_; }

 private:
  Layout layout_;
};

/// The database to use: the `--db` flag, else WEFT_DATABASE_URL, else the
/// embedded cluster under default_home() (started if needed).
std::string resolve_database_url(const std::optional<std::string>& flag);

}  // namespace weft::embedded_db
