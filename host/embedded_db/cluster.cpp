#include "embedded_db/cluster.hpp"

#include "embedded_db/cluster_user.hpp"
#include "embedded_db/file_lock.hpp"
#include "embedded_db/postmaster.hpp"
#include "embedded_db/spawn.hpp"

#include <pqxx/pqxx>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <chrono>
#include <cstdlib>
#include <deque>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <system_error>
#include <thread>
#include <vector>

namespace weft::embedded_db {
namespace fs = std::filesystem;

namespace {

constexpr auto kReadyTimeout = std::chrono::seconds(60);
constexpr int kStartAttempts = 3;
constexpr std::size_t kLogTailLines = 5;
constexpr const char* kSettingsFile = "weft.conf";
constexpr const char* kDatabase = "weft";

// The whole error stays one line, so the log's last lines are joined.
std::string log_tail(const fs::path& log_file, std::uintmax_t from_offset) {
  std::ifstream in(log_file);
  if (!in) return "";
  in.seekg(static_cast<std::streamoff>(from_offset));
  std::deque<std::string> lines;
  std::string line;
  while (std::getline(in, line)) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    lines.push_back(line);
    if (lines.size() > kLogTailLines) lines.pop_front();
  }
  std::string joined;
  for (const auto& l : lines) joined += (joined.empty() ? "" : " | ") + l;
  return joined;
}

std::uintmax_t size_of(const fs::path& path) {
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  return ec ? 0 : size;
}

std::runtime_error tool_failure(const std::string& what, int exit_code, const Layout& layout,
                                std::uintmax_t log_offset) {
  std::string message = what + " (exit code " + std::to_string(exit_code) + ")";
  const std::string tail = log_tail(layout.log_file, log_offset);
  message += tail.empty() ? "; see " + layout.log_file.string()
                          : "; " + layout.log_file.string() + " says: " + tail;
  return std::runtime_error(message);
}

void make_private_dir(const ClusterUser& user, const fs::path& dir) {
  std::error_code ec;
  fs::create_directory(dir, ec);
  if (ec) throw std::runtime_error("cannot create " + dir.string() + ": " + ec.message());
  hand_over(user, dir);
  if (::chmod(dir.c_str(), 0700) != 0) {
    throw std::runtime_error("cannot set permissions of " + dir.string());
  }
}

std::string conf_quote(const std::string& value) {
  std::string out = "'";
  for (const char c : value) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

void check_socket_path(const Layout& layout) {
  const std::string socket = (layout.run_dir / (".s.PGSQL." + std::to_string(kPort))).string();
  if (socket.size() >= sizeof(sockaddr_un{}.sun_path)) {
    throw std::runtime_error("the embedded database socket path " + socket + " is longer than " +
                             std::to_string(sizeof(sockaddr_un{}.sun_path) - 1) +
                             " bytes; set WEFT_HOME to a shorter path");
  }
  // unix_socket_directories is a comma-separated list.
  if (layout.run_dir.string().find(',') != std::string::npos) {
    throw std::runtime_error("WEFT_HOME must not contain a comma: " + layout.home.string());
  }
}

std::string settings_text(const Layout& layout) {
  std::ostringstream out;
  out << "# Written by weft on every start of the embedded cluster; use ALTER SYSTEM to\n"
         "# override. Connections come only through the private socket directory.\n"
      << "listen_addresses = ''\n"
      << "unix_socket_directories = " << conf_quote(layout.run_dir.string()) << "\n"
      << "unix_socket_permissions = 0700\n"
      << "port = " << kPort << "\n"
      << "max_connections = 200\n"
      << "shared_buffers = 128MB\n"
      << "# Durability is the product: never trade it for speed here.\n"
      << "fsync = on\n"
      << "synchronous_commit = on\n"
      << "full_page_writes = on\n";
  return out.str();
}

// Rewritten when it differs, so the socket path follows a moved $WEFT_HOME.
void write_settings(const ClusterUser& user, const Layout& layout) {
  const fs::path target = layout.data_dir / kSettingsFile;
  const std::string text = settings_text(layout);
  {
    std::ifstream in(target);
    std::ostringstream current;
    current << in.rdbuf();
    if (in && current.str() == text) return;
  }
  const fs::path temporary = layout.data_dir / (std::string(kSettingsFile) + ".tmp");
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << text;
    if (!out.flush()) throw std::runtime_error("cannot write " + temporary.string());
  }
  hand_over(user, temporary);
  fs::rename(temporary, target);
}

void initialize(const ClusterUser& user, const fs::path& bindir, const Layout& layout) {
  spdlog::info("creating the embedded PostgreSQL cluster in {}", layout.data_dir.string());
  std::error_code ec;
  // Left over from an initdb that was killed: it never became the cluster.
  fs::remove_all(layout.init_dir, ec);
  const auto offset = size_of(layout.log_file);
  const int code = run_as(user,
                          {(bindir / "initdb").string(), "-D", layout.init_dir.string(), "-U",
                           std::string(kSuperuser), "--auth=trust", "-E", "UTF8", "--locale=C",
                           "--no-instructions"},
                          layout.log_file, layout.pg_dir);
  if (code != 0) {
    fs::remove_all(layout.init_dir, ec);
    throw tool_failure("initdb failed for the embedded cluster", code, layout, offset);
  }
  {
    std::ofstream conf(layout.init_dir / "postgresql.conf", std::ios::app);
    conf << "\n# weft's settings for the embedded cluster\ninclude '" << kSettingsFile << "'\n";
    if (!conf.flush()) throw std::runtime_error("cannot append to postgresql.conf");
  }
  // Only a complete cluster ever appears under the final name.
  fs::rename(layout.init_dir, layout.data_dir);
}

bool accepts_connections(const std::string& url) {
  try {
    pqxx::connection connection(url);
    return connection.is_open();
  } catch (const std::exception&) {
    return false;
  }
}

void wait_until_accepting(const std::string& url, const Layout& layout) {
  const auto deadline = std::chrono::steady_clock::now() + kReadyTimeout;
  while (!accepts_connections(url)) {
    if (std::chrono::steady_clock::now() >= deadline) {
      throw std::runtime_error("the embedded PostgreSQL server is running but did not accept "
                               "connections within 60 s; see " + layout.log_file.string());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

void ensure_database(const std::string& admin_url, const std::string& name) {
  try {
    pqxx::connection connection(admin_url);
    pqxx::nontransaction tx(connection);
    const auto found = tx.exec("SELECT 1 FROM pg_database WHERE datname = " + tx.quote(name));
    if (!found.empty()) return;
    tx.exec("CREATE DATABASE " + tx.quote_name(name));
  } catch (const pqxx::sql_error& error) {
    if (error.sqlstate() == "42P04") return;  // duplicate_database: someone else made it
    throw std::runtime_error("cannot create database '" + name +
                             "' in the embedded cluster: " + error.what());
  } catch (const pqxx::failure& error) {
    throw std::runtime_error("cannot connect to the embedded cluster to create database '" +
                             name + "': " + error.what());
  }
}

ClusterStatus read_status(const Layout& layout, std::string url) {
  ClusterStatus status;
  status.data_dir = layout.data_dir;
  status.url = std::move(url);
  std::error_code ec;
  status.initialized = fs::exists(layout.data_dir / "PG_VERSION", ec);
  if (status.initialized) {
    if (const auto pid = read_lock_pid(layout.data_dir / "postmaster.pid");
        pid && is_live_postgres(*pid)) {
      status.running = true;
      status.pid = static_cast<int>(*pid);
    }
  }
  return status;
}

}  // namespace

Cluster::Cluster(fs::path home) : layout_(layout_for(home)) {}

std::string Cluster::url(std::string_view database) const {
  return socket_url(layout_.run_dir, kSuperuser, database);
}

ClusterStatus Cluster::status() const { return read_status(layout_, url()); }

void Cluster::start() {
  check_socket_path(layout_);
  std::error_code ec;
  fs::create_directories(layout_.pg_dir, ec);
  if (ec) throw std::runtime_error("cannot create " + layout_.pg_dir.string() + ": " + ec.message());

  const ClusterUser user = resolve_cluster_user(layout_);
  const FileLock lock(layout_.lock_file);

  make_private_dir(user, layout_.pg_dir);
  if (!user.is_current_process) {
    for (const auto& granted : grant_traversal(user, layout_.home)) {
      spdlog::warn("chmod {} {}: PostgreSQL runs as user '{}', which must reach {}",
                   granted.permission, granted.dir.string(), user.name,
                   layout_.data_dir.string());
    }
  }
  if (!fs::exists(layout_.log_file, ec)) {
    std::ofstream create(layout_.log_file, std::ios::app);
  }
  hand_over(user, layout_.log_file);
  ::chmod(layout_.log_file.c_str(), 0600);

  const fs::path bindir = find_server_bindir(cluster_major_version(layout_.data_dir));
  if (!fs::exists(layout_.data_dir / "PG_VERSION", ec)) initialize(user, bindir, layout_);
  make_private_dir(user, layout_.run_dir);
  write_settings(user, layout_);

  const std::string admin_url = url("postgres");
  if (status().running) {
    wait_until_accepting(admin_url, layout_);
  } else {
    for (int attempt = 1;; ++attempt) {
      // A postmaster killed with -9 leaves lock files PostgreSQL may not see through.
      remove_if_stale(layout_.data_dir / "postmaster.pid");
      remove_if_stale(layout_.run_dir / (".s.PGSQL." + std::to_string(kPort) + ".lock"));
      const auto offset = size_of(layout_.log_file);
      const int code = run_as(user,
                              {(bindir / "pg_ctl").string(), "start", "-D",
                               layout_.data_dir.string(), "-l", layout_.log_file.string(), "-w",
                               "-t", std::to_string(kReadyTimeout.count()), "-s"},
                              layout_.log_file, layout_.pg_dir);
      if (code == 0) break;
      // Children of a killed postmaster can hold its shared memory for a moment.
      if (attempt >= kStartAttempts || status().running) {
        throw tool_failure("the embedded PostgreSQL server did not start", code, layout_, offset);
      }
      std::this_thread::sleep_for(std::chrono::seconds(1));
    }
    wait_until_accepting(admin_url, layout_);
  }
  ensure_database(admin_url, kDatabase);
}

void Cluster::stop() {
  std::error_code ec;
  if (!fs::exists(layout_.data_dir / "PG_VERSION", ec)) return;
  const ClusterUser user = resolve_cluster_user(layout_);
  const FileLock lock(layout_.lock_file);
  if (!status().running) return;
  const fs::path bindir = find_server_bindir(cluster_major_version(layout_.data_dir));
  const auto offset = size_of(layout_.log_file);
  const int code = run_as(user,
                          {(bindir / "pg_ctl").string(), "stop", "-D", layout_.data_dir.string(),
                           "-m", "fast", "-w", "-t", std::to_string(kReadyTimeout.count()), "-s"},
                          layout_.log_file, layout_.pg_dir);
  if (code != 0 && status().running) {
    throw tool_failure("the embedded PostgreSQL server did not stop", code, layout_, offset);
  }
}

std::string resolve_database_url(const std::optional<std::string>& flag) {
  if (flag) {
    if (flag->empty()) throw std::runtime_error("--db needs a non-empty database URL");
    return *flag;
  }
  if (const char* env = std::getenv("WEFT_DATABASE_URL"); env != nullptr && *env != '\0') {
    return env;
  }
  Cluster cluster(default_home());
  cluster.start();
  return cluster.url();
}

}  // namespace weft::embedded_db
