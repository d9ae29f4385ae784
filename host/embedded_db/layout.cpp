#include "embedded_db/layout.hpp"

#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <system_error>
#include <unistd.h>

namespace weft::embedded_db {
namespace fs = std::filesystem;

namespace {

constexpr const char* kDebianPgRoot = "/usr/lib/postgresql";

bool has_server_binaries(const fs::path& bindir) {
  for (const char* tool : {"initdb", "pg_ctl", "postgres"}) {
    if (::access((bindir / tool).c_str(), X_OK) != 0) return false;
  }
  return true;
}

std::optional<int> parse_major(const std::string& text) {
  if (text.empty()) return std::nullopt;
  int major = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    major = major * 10 + (c - '0');
    if (major > 1000) return std::nullopt;
  }
  return major;
}

bool unreserved(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         c == '-' || c == '_' || c == '.' || c == '~';
}

std::string percent_encode(std::string_view text, bool keep_slash = false) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (unreserved(c) || (keep_slash && c == '/')) {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    }
  }
  return out;
}

}  // namespace

fs::path default_home() {
  const char* env = std::getenv("WEFT_HOME");
  const fs::path home = (env != nullptr && *env != '\0') ? fs::path(env) : fs::path(".weft");
  return fs::absolute(home).lexically_normal();
}

Layout layout_for(const fs::path& home) {
  Layout layout;
  layout.home = fs::absolute(home).lexically_normal();
  // A trailing slash leaves an empty last component; drop it so paths compare equal.
  if (!layout.home.has_filename() && layout.home.has_parent_path() &&
      layout.home != layout.home.root_path()) {
    layout.home = layout.home.parent_path();
  }
  layout.pg_dir = layout.home / "pg";
  layout.data_dir = layout.pg_dir / "data";
  layout.init_dir = layout.pg_dir / "data.init";
  layout.run_dir = layout.pg_dir / "run";
  layout.log_file = layout.pg_dir / "server.log";
  layout.lock_file = layout.pg_dir / "lock";
  return layout;
}

fs::path find_server_bindir(std::optional<int> preferred_major) {
  if (const char* env = std::getenv("WEFT_PG_BINDIR"); env != nullptr && *env != '\0') {
    const fs::path bindir = fs::absolute(env);
    if (!has_server_binaries(bindir)) {
      throw std::runtime_error("WEFT_PG_BINDIR=" + bindir.string() +
                               " does not contain initdb, pg_ctl and postgres");
    }
    return bindir;
  }
  if (preferred_major) {
    const fs::path bindir = fs::path(kDebianPgRoot) / std::to_string(*preferred_major) / "bin";
    if (has_server_binaries(bindir)) return bindir;
  }
  std::optional<int> best;
  std::error_code ec;
  for (fs::directory_iterator it(kDebianPgRoot, ec), end; !ec && it != end; it.increment(ec)) {
    const auto major = parse_major(it->path().filename().string());
    if (major && has_server_binaries(it->path() / "bin") && (!best || *major > *best)) {
      best = major;
    }
  }
  if (!best) {
    throw std::runtime_error(
        "PostgreSQL server binaries not found; install the 'postgresql' package "
        "(or set WEFT_PG_BINDIR)");
  }
  return fs::path(kDebianPgRoot) / std::to_string(*best) / "bin";
}

std::optional<int> cluster_major_version(const fs::path& data_dir) {
  std::ifstream in(data_dir / "PG_VERSION");
  std::string line;
  if (!in || !std::getline(in, line)) return std::nullopt;
  return parse_major(line);
}

std::string socket_url(const fs::path& run_dir, std::string_view user, std::string_view database) {
  return "postgresql://" + percent_encode(user) + "@/" + percent_encode(database) +
         "?host=" + percent_encode(run_dir.string(), true);
}

}  // namespace weft::embedded_db
