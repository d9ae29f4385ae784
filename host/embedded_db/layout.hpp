// Where the embedded cluster lives under $WEFT_HOME, where the PostgreSQL
// server binaries are, and how a libpq URI for the private socket is spelled.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace weft::embedded_db {

/// $WEFT_HOME, else ./.weft; always absolute.
std::filesystem::path default_home();

struct Layout {
  std::filesystem::path home;        // $WEFT_HOME
  std::filesystem::path pg_dir;      // home/pg, owned by the cluster user
  std::filesystem::path data_dir;    // pg/data: the cluster itself
  std::filesystem::path init_dir;    // pg/data.init: initdb's target until it succeeds
  std::filesystem::path run_dir;     // pg/run: the socket directory (0700)
  std::filesystem::path log_file;    // pg/server.log: server and tool output
  std::filesystem::path lock_file;   // pg/lock: flock serialising init/start/stop
};

/// The layout under `home` (made absolute, not created).
Layout layout_for(const std::filesystem::path& home);

/// The PostgreSQL server binaries: $WEFT_PG_BINDIR, else the installed version
/// matching an existing cluster (`preferred_major`), else the highest installed.
/// Throws std::runtime_error when none is installed.
std::filesystem::path find_server_bindir(std::optional<int> preferred_major);

/// The major version recorded in an initialised data directory (PG_VERSION).
std::optional<int> cluster_major_version(const std::filesystem::path& data_dir);

/// `postgresql://user@/database?host=<run dir>`, percent-encoded for libpq.
std::string socket_url(const std::filesystem::path& run_dir, std::string_view user,
                       std::string_view database);

/// The port names the socket file; nothing listens on TCP.
inline constexpr int kPort = 5432;
/// The role initdb creates and every connection uses.
inline constexpr std::string_view kSuperuser = "weft";

}  // namespace weft::embedded_db
