// Real processes for integration tests: run the `weft` CLI and capture its
// output, or keep a `weft serve` host running (and kill -9 it on purpose).
#pragma once

#include "common/json.hpp"

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace weft::test {

struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

/// Extra environment for a child process: `NAME=value` entries that replace
/// (or add to) the variables the child inherits from the test.
using Environment = std::vector<std::string>;

/// Runs `weft <args>` to completion, with optional standard input and environment.
CommandResult run_weft(const std::vector<std::string>& args, const std::string& stdin_text = {},
                       const Environment& environment = {});

/// A `weft serve` process (or another server a test needs, such as Prometheus);
/// stopped with SIGTERM (or killed) when destroyed. Its output goes to `log_file`.
class HostProcess {
 public:
  HostProcess(const std::vector<std::string>& args, const std::filesystem::path& log_file,
              const Environment& environment = {});
  HostProcess(const std::filesystem::path& program, const std::vector<std::string>& args,
              const std::filesystem::path& log_file, const Environment& environment = {});
  ~HostProcess();
  HostProcess(const HostProcess&) = delete;
  HostProcess& operator=(const HostProcess&) = delete;

  pid_t pid() const { return pid_; }
  /// SIGKILL, no cleanup: what a crash looks like.
  void kill_hard();
  /// SIGTERM and wait; returns the exit code.
  int stop();
  bool running();
  std::string log() const;

 private:
  pid_t pid_ = -1;
  std::filesystem::path log_file_;
};

/// A fresh temporary directory, removed when destroyed.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::filesystem::path& path() const { return path_; }
  /// Writes `content` to `relative` (creating folders) and returns the full path.
  std::filesystem::path write(const std::string& relative, const std::string& content) const;

 private:
  std::filesystem::path path_;
};

/// Polls `condition` until it is true or `timeout` passes; returns its last value.
bool eventually(const std::function<bool()>& condition,
                std::chrono::milliseconds timeout = std::chrono::seconds(20));

/// `weft status ID --json --db URL`, parsed; null when the command fails.
Json execution_status(const std::string& db_url, const std::string& execution_id);

}  // namespace weft::test
