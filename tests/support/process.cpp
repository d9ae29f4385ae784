#include "support/process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string_view>
#include <thread>

extern char** environ;

#ifndef WEFT_BINARY
#error "WEFT_BINARY must name the weft executable"
#endif

namespace weft::test {
namespace {

std::vector<char*> argv_of(const std::vector<std::string>& args, const char* program = WEFT_BINARY) {
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(program));
  for (const auto& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  return argv;
}

// The parent's environment with `overrides` applied; built before fork(), so
// the child only calls execve().
std::vector<std::string> environment_with(const Environment& overrides) {
  std::vector<std::string> result;
  const auto overridden = [&](std::string_view entry) {
    const auto name = entry.substr(0, entry.find('=') + 1);
    for (const auto& override_entry : overrides) {
      if (std::string_view(override_entry).substr(0, override_entry.find('=') + 1) == name) return true;
    }
    return false;
  };
  for (char** entry = environ; *entry != nullptr; ++entry) {
    if (!overridden(*entry)) result.emplace_back(*entry);
  }
  result.insert(result.end(), overrides.begin(), overrides.end());
  return result;
}

std::vector<char*> pointers_of(std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  for (auto& text : strings) pointers.push_back(text.data());
  pointers.push_back(nullptr);
  return pointers;
}

}  // namespace

CommandResult run_weft(const std::vector<std::string>& args, const std::string& stdin_text,
                       const Environment& environment) {
  int in[2], out[2], err[2];
  if (pipe(in) != 0 || pipe(out) != 0 || pipe(err) != 0) throw std::runtime_error("pipe failed");
  auto argv = argv_of(args);
  auto env = environment_with(environment);
  auto envp = pointers_of(env);
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(in[0], 0);
    dup2(out[1], 1);
    dup2(err[1], 2);
    for (int fd : {in[0], in[1], out[0], out[1], err[0], err[1]}) close(fd);
    execve(WEFT_BINARY, argv.data(), envp.data());
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  close(err[1]);
  std::thread writer([fd = in[1], &stdin_text] {
    std::size_t written = 0;
    while (written < stdin_text.size()) {
      const auto n = write(fd, stdin_text.data() + written, stdin_text.size() - written);
      if (n <= 0) break;
      written += static_cast<std::size_t>(n);
    }
    close(fd);
  });
  CommandResult result;
  pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
  int open_fds = 2;
  char buffer[4096];
  while (open_fds > 0) {
    if (poll(fds, 2, -1) < 0) break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      const auto n = read(fds[i].fd, buffer, sizeof buffer);
      if (n <= 0) {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      } else {
        (i == 0 ? result.out : result.err).append(buffer, static_cast<std::size_t>(n));
      }
    }
  }
  writer.join();
  int status = 0;
  waitpid(pid, &status, 0);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

HostProcess::HostProcess(const std::vector<std::string>& args, const std::filesystem::path& log_file,
                         const Environment& environment)
    : HostProcess(WEFT_BINARY, args, log_file, environment) {}

HostProcess::HostProcess(const std::filesystem::path& program, const std::vector<std::string>& args,
                         const std::filesystem::path& log_file, const Environment& environment)
    : log_file_(log_file) {
  auto argv = argv_of(args, program.c_str());
  auto env = environment_with(environment);
  auto envp = pointers_of(env);
  pid_ = fork();
  if (pid_ == 0) {
    const int fd = open(log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    close(fd);
    execve(program.c_str(), argv.data(), envp.data());
    _exit(127);
  }
}

HostProcess::~HostProcess() {
  if (pid_ > 0) stop();
}

void HostProcess::kill_hard() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

int HostProcess::stop() {
  if (pid_ <= 0) return -1;
  ::kill(pid_, SIGTERM);
  int status = 0;
  for (int i = 0; i < 300; ++i) {  // up to 30 s for the drain
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  kill_hard();
  return -1;
}

bool HostProcess::running() {
  if (pid_ <= 0) return false;
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) == pid_) {
    pid_ = -1;
    return false;
  }
  return true;
}

std::string HostProcess::log() const {
  std::ifstream file(log_file_);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

TempDir::TempDir() {
  std::random_device random;
  path_ = std::filesystem::temp_directory_path() / ("weft-test-" + std::to_string(random()));
  std::filesystem::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::filesystem::path TempDir::write(const std::string& relative, const std::string& content) const {
  const auto file = path_ / relative;
  std::filesystem::create_directories(file.parent_path());
  std::ofstream(file) << content;
  return file;
}

bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < until) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return condition();
}

Json execution_status(const std::string& db_url, const std::string& execution_id) {
  const auto result = run_weft({"status", execution_id, "--json", "--db", db_url});
  if (result.exit_code != 0) return nullptr;
  auto parsed = parse_json(result.out);
  return parsed ? *parsed : Json(nullptr);
}

}  // namespace weft::test
