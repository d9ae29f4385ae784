#include "embedded_db/postmaster.hpp"

#include <signal.h>

#include <cerrno>
#include <fstream>
#include <string>
#include <system_error>

namespace weft::embedded_db {
namespace fs = std::filesystem;

std::optional<pid_t> read_lock_pid(const fs::path& lock_file) {
  std::ifstream in(lock_file);
  std::string line;
  if (!in || !std::getline(in, line)) return std::nullopt;
  // The socket lock file stores the pid negated when it was a standalone backend.
  long long pid = 0;
  try {
    pid = std::stoll(line);
  } catch (const std::exception&) {
    return std::nullopt;
  }
  if (pid < 0) pid = -pid;
  if (pid <= 0) return std::nullopt;
  return static_cast<pid_t>(pid);
}

bool is_live_postgres(pid_t pid) {
  if (::kill(pid, 0) != 0 && errno != EPERM) return false;
  const fs::path proc = fs::path("/proc") / std::to_string(pid);
  std::ifstream stat_file(proc / "stat");
  std::string stat_line;
  if (!stat_file || !std::getline(stat_file, stat_line)) {
    return true;  // no /proc: trust kill(); PostgreSQL would do the same
  }
  // "pid (comm) S ...": comm may contain spaces or parentheses, so split at the last ')'.
  const auto close = stat_line.rfind(')');
  const auto open = stat_line.find('(');
  if (close == std::string::npos || open == std::string::npos || close + 2 >= stat_line.size()) {
    return true;
  }
  const char state = stat_line[close + 2];
  // An orphaned postmaster killed with -9 stays a zombie where pid 1 does not reap.
  if (state == 'Z' || state == 'X') return false;
  const std::string comm = stat_line.substr(open + 1, close - open - 1);
  // A reused pid belongs to some other program; the server's comm is its binary name.
  return comm == "postgres" || comm == "postmaster";
}

bool remove_if_stale(const fs::path& lock_file) {
  const auto pid = read_lock_pid(lock_file);
  if (!pid) return false;
  if (is_live_postgres(*pid)) return false;
  std::error_code ec;
  return fs::remove(lock_file, ec);
}

}  // namespace weft::embedded_db
