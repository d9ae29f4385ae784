// Child processes for the benchmark: the `weft` CLI run to completion and a
// long-running `weft serve`, plus what /proc says about a process's CPU and memory.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <vector>

namespace weft::bench {

/// Extra `NAME=value` entries added to (or replacing) the inherited environment.
using Environment = std::vector<std::string>;

struct CommandResult {
  int exit_code = -1;
  std::string out;  ///< standard output (standard error goes to the bench log)
};

/// Runs `program args...` to completion; stdin from `stdin_file` (empty: /dev/null).
CommandResult run_command(const std::string& program, const std::vector<std::string>& args,
                          const Environment& environment, const std::filesystem::path& stdin_file,
                          const std::filesystem::path& log_file);

/// A background process whose output goes to a log file; SIGTERM'd when destroyed.
class ChildProcess {
 public:
  ChildProcess(const std::string& program, const std::vector<std::string>& args,
               const Environment& environment, const std::filesystem::path& log_file);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  bool running();
  /// SIGTERM, then SIGKILL after `grace_seconds`; returns the exit code (-1 if killed).
  int stop(int grace_seconds = 30);

 private:
  pid_t pid_ = -1;
};

struct ProcessUsage {
  double cpu_ms = 0;   ///< user + system time so far
  double rss_mb = 0;   ///< VmRSS
  double peak_mb = 0;  ///< VmHWM
};

/// Reads /proc/<pid>/stat and /proc/<pid>/status; zeros when the process is gone.
ProcessUsage usage_of(pid_t pid);

}  // namespace weft::bench
