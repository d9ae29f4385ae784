#include "embedded_db/spawn.hpp"

#include <fcntl.h>
#include <grp.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <stdexcept>
#include <string_view>

extern char** environ;

namespace weft::embedded_db {
namespace {

// Step numbers tell the parent which part of the child's setup failed.
enum ChildStep : int { kStdin = 1, kOutput, kGroups, kSetgid, kSetuid, kChdir, kExec };

const char* step_name(int step) {
  switch (step) {
    case kStdin: return "open /dev/null";
    case kOutput: return "redirect output";
    case kGroups: return "setgroups";
    case kSetgid: return "setgid";
    case kSetuid: return "setuid";
    case kChdir: return "chdir";
    default: return "exec";
  }
}

class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() { reset(); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
};

// Everything the child needs is built before fork: after fork in a threaded
// process only async-signal-safe calls are allowed (no malloc, no NSS).
std::vector<std::string> child_environment(const ClusterUser& user) {
  std::vector<std::string> env;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    const std::string_view text(*entry);
    if (!user.is_current_process &&
        (text.rfind("HOME=", 0) == 0 || text.rfind("USER=", 0) == 0 ||
         text.rfind("LOGNAME=", 0) == 0)) {
      continue;
    }
    env.emplace_back(text);
  }
  if (!user.is_current_process) {
    env.push_back("HOME=" + user.home);
    env.push_back("USER=" + user.name);
    env.push_back("LOGNAME=" + user.name);
  }
  return env;
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
  std::vector<char*> result;
  result.reserve(strings.size() + 1);
  for (auto& s : strings) result.push_back(s.data());
  result.push_back(nullptr);
  return result;
}

[[noreturn]] void child_fail(int report_fd, int step) {
  const int payload[2] = {step, errno};
  [[maybe_unused]] const auto written = ::write(report_fd, payload, sizeof payload);
  ::_exit(127);
}

}  // namespace

int run_as(const ClusterUser& user, const std::vector<std::string>& argv,
           const std::filesystem::path& output, const std::filesystem::path& cwd) {
  if (argv.empty()) throw std::invalid_argument("run_as: empty argv");
  std::vector<std::string> args = argv;
  std::vector<std::string> env = child_environment(user);
  std::vector<char*> arg_ptrs = pointers(args);
  std::vector<char*> env_ptrs = pointers(env);
  const std::string cwd_text = cwd.string();
  const std::string& program = args.front();

  Fd out(::open(output.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600));
  if (out.get() < 0) {
    throw std::runtime_error("cannot open " + output.string() + ": " + std::strerror(errno));
  }
  int report[2];
  if (::pipe2(report, O_CLOEXEC) != 0) {
    throw std::runtime_error(std::string("pipe2: ") + std::strerror(errno));
  }
  Fd report_read(report[0]);
  Fd report_write(report[1]);

  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    // Lift both pipes above the stdio and fd-3 slots first so no dup2 below
    // can clobber one of them, whatever fds the parent happened to have open.
    int report_fd = ::fcntl(report_write.get(), F_DUPFD_CLOEXEC, 10);
    if (report_fd < 0) ::_exit(127);
    const int out_fd = ::fcntl(out.get(), F_DUPFD_CLOEXEC, 10);
    if (out_fd < 0) child_fail(report_fd, kOutput);
    const int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (null_fd < 0) child_fail(report_fd, kStdin);
    if (null_fd == 0 ? ::fcntl(0, F_SETFD, 0) < 0 : ::dup2(null_fd, 0) < 0) {
      child_fail(report_fd, kStdin);
    }
    if (::dup2(out_fd, 1) < 0 || ::dup2(out_fd, 2) < 0) child_fail(report_fd, kOutput);
    if (::dup2(report_fd, 3) < 0) child_fail(report_fd, kOutput);
    report_fd = 3;
    ::fcntl(report_fd, F_SETFD, FD_CLOEXEC);
    // Nothing of weft's (lock files, sockets) may leak into a long-lived postmaster.
    ::close_range(4, ~0U, 0);

    // Inherited ignored signals and masks survive exec; the tools expect defaults.
    for (int sig = 1; sig < NSIG; ++sig) ::signal(sig, SIG_DFL);
    sigset_t none;
    ::sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);

    if (!user.is_current_process) {
      // Group first: once the uid is dropped the process may no longer change groups.
      if (::setgroups(user.groups.size(), user.groups.data()) != 0) child_fail(report_fd, kGroups);
      if (::setgid(user.gid) != 0) child_fail(report_fd, kSetgid);
      if (::setuid(user.uid) != 0) child_fail(report_fd, kSetuid);
    }
    if (::chdir(cwd_text.c_str()) != 0) child_fail(report_fd, kChdir);
    ::execve(program.c_str(), arg_ptrs.data(), env_ptrs.data());
    child_fail(report_fd, kExec);
  }

  report_write.reset();
  int payload[2] = {0, 0};
  ssize_t got = 0;
  do {
    got = ::read(report_read.get(), payload, sizeof payload);
  } while (got < 0 && errno == EINTR);

  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) throw std::runtime_error(std::string("waitpid: ") + std::strerror(errno));
  }
  if (got == static_cast<ssize_t>(sizeof payload)) {
    throw std::runtime_error("cannot run " + program + " as user '" + user.name + "': " +
                             step_name(payload[0]) + " failed: " + std::strerror(payload[1]));
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 1;
}

}  // namespace weft::embedded_db
