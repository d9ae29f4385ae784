#include "process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string_view>
#include <thread>

extern char** environ;

namespace weft::bench {
namespace {

// The overrides, then the inherited variables they do not override.
std::vector<std::string> environment_with(const Environment& overrides) {
  std::set<std::string, std::less<>> overridden;
  for (const auto& entry : overrides) overridden.insert(entry.substr(0, entry.find('=')));
  std::vector<std::string> result(overrides.begin(), overrides.end());
  for (char** entry = environ; *entry != nullptr; ++entry) {
    const std::string_view text(*entry);
    if (overridden.count(text.substr(0, text.find('='))) == 0) result.emplace_back(text);
  }
  return result;
}

// A NULL-terminated argv/envp view of `strings` (which must outlive it).
std::vector<char*> c_array(std::vector<std::string>& strings) {
  std::vector<char*> array(strings.size() + 1, nullptr);
  std::transform(strings.begin(), strings.end(), array.begin(), [](std::string& text) { return text.data(); });
  return array;
}

// posix_spawn with stdin, stdout and stderr redirected to files.
pid_t spawn(const std::string& program, const std::vector<std::string>& args, const Environment& environment,
            const std::string& stdin_file, const std::string& stdout_file, const std::string& stderr_file) {
  std::vector<std::string> argv_strings{program};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  auto argv = c_array(argv_strings);
  auto env_strings = environment_with(environment);
  auto envp = c_array(env_strings);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, stdin_file.c_str(), O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, stdout_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, 2, stderr_file.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  pid_t pid = -1;
  const int failed = posix_spawn(&pid, program.c_str(), &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (failed != 0) throw std::runtime_error("cannot start " + program + ": " + std::strerror(failed));
  return pid;
}

int exit_code_of(int status) { return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status); }

}  // namespace

CommandResult run_command(const std::string& program, const std::vector<std::string>& args,
                          const Environment& environment, const std::filesystem::path& stdin_file,
                          const std::filesystem::path& log_file) {
  const auto out_file = log_file.string() + ".out";
  const pid_t pid = spawn(program, args, environment, stdin_file.empty() ? "/dev/null" : stdin_file.string(),
                          out_file, log_file.string());
  int status = 0;
  waitpid(pid, &status, 0);
  CommandResult result;
  result.exit_code = exit_code_of(status);
  std::ifstream out(out_file);
  std::stringstream text;
  text << out.rdbuf();
  result.out = text.str();
  return result;
}

ChildProcess::ChildProcess(const std::string& program, const std::vector<std::string>& args,
                           const Environment& environment, const std::filesystem::path& log_file)
    : pid_(spawn(program, args, environment, "/dev/null", log_file.string(), log_file.string())) {}

ChildProcess::~ChildProcess() {
  if (pid_ > 0) stop();
}

bool ChildProcess::running() {
  if (pid_ > 0 && waitpid(pid_, nullptr, WNOHANG) == pid_) pid_ = -1;  // reaped: it has exited
  return pid_ > 0;
}

int ChildProcess::stop(int grace_seconds) {
  if (pid_ <= 0) return -1;
  ::kill(pid_, SIGTERM);
  int status = 0;
  for (int i = 0; i < grace_seconds * 100; ++i) {
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return exit_code_of(status);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ::kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
  return -1;
}

ProcessUsage usage_of(pid_t pid) {
  ProcessUsage usage;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return usage;
  // Fields after the command name (which may hold spaces) start at ") ".
  std::istringstream fields(line.substr(line.rfind(')') + 2));
  std::string field;
  double utime = 0, stime = 0;
  for (int index = 3; fields >> field; ++index) {  // field 3 is the state
    if (index == 14) utime = std::stod(field);
    if (index == 15) {
      stime = std::stod(field);
      break;
    }
  }
  usage.cpu_ms = (utime + stime) * 1000.0 / static_cast<double>(sysconf(_SC_CLK_TCK));
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  while (std::getline(status, line)) {
    const auto kb = [&] { return std::stod(line.substr(line.find(':') + 1)) / 1024.0; };
    if (line.rfind("VmRSS:", 0) == 0) usage.rss_mb = kb();
    if (line.rfind("VmHWM:", 0) == 0) usage.peak_mb = kb();
  }
  return usage;
}

}  // namespace weft::bench
