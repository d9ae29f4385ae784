#include "watch/watcher.hpp"

#include <spdlog/spdlog.h>

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <set>
#include <stdexcept>
#include <thread>
#include <unordered_map>

namespace weft::watch {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// IN_MODIFY as well as IN_CLOSE_WRITE: some writers keep the file open.
constexpr std::uint32_t kEventMask = IN_CREATE | IN_DELETE | IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_FROM |
                                     IN_MOVED_TO | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR;

fs::path normalized(const fs::path& directory) {
  auto path = fs::absolute(directory).lexically_normal();
  if (!path.has_filename() && path != path.root_path()) path = path.parent_path();  // "dir/" -> "dir"
  return path;
}

bool is_under(const fs::path& path, const fs::path& directory) {
  return std::mismatch(directory.begin(), directory.end(), path.begin(), path.end()).first == directory.end();
}

}  // namespace

struct DirectoryWatcher::Impl {
  struct Root {
    WatchedRoot watched;
    bool present = false;
    std::set<fs::path> pending;
  };
  struct Watch {
    std::size_t root;
    fs::path directory;
  };

  std::vector<Root> roots;
  WatchOptions options;
  int inotify_fd = -1;
  int stop_fd = -1;
  std::thread thread;
  std::unordered_map<int, Watch> watches;  // by inotify watch descriptor
  std::optional<Clock::time_point> burst_began;
  Clock::time_point last_event;
  std::optional<Clock::time_point> retry_at;  // a callback threw: its changes are reported again then
  alignas(inotify_event) char buffer[64 * 1024];

  ~Impl() {
    if (inotify_fd >= 0) ::close(inotify_fd);
    if (stop_fd >= 0) ::close(stop_fd);
  }

  const fs::path& directory_of(std::size_t root) const { return roots[root].watched.directory; }

  void note(std::size_t root, fs::path path) {
    roots[root].pending.insert(std::move(path));
    last_event = Clock::now();
    if (!burst_began) burst_began = last_event;
  }

  /// Watches `directory` and every directory below it. With `report_contents`
  /// (a directory that just appeared) what is already inside counts as
  /// changed: it may have been written before the watch existed.
  bool watch_tree(std::size_t root, const fs::path& directory, bool report_contents) {
    const int wd = ::inotify_add_watch(inotify_fd, directory.c_str(), kEventMask);
    if (wd < 0) {
      // ENOENT/ENOTDIR: gone again already; its parent's events report that.
      if (errno != ENOENT && errno != ENOTDIR) {
        spdlog::warn("watch: cannot watch {}: {}{}", directory.string(), std::strerror(errno),
                     errno == ENOSPC ? " (raise the fs.inotify.max_user_watches sysctl)" : "");
      }
      return false;
    }
    watches[wd] = Watch{root, directory};
    std::error_code ec;
    for (fs::directory_iterator it(directory, ec), end; !ec && it != end; it.increment(ec)) {
      const auto& entry = *it;
      if (report_contents) note(root, entry.path());
      std::error_code type_ec;
      if (entry.is_directory(type_ec) && !entry.is_symlink(type_ec)) watch_tree(root, entry.path(), report_contents);
    }
    return true;
  }

  void unwatch_under(std::size_t root, const fs::path& directory) {
    for (auto it = watches.begin(); it != watches.end();) {
      if (it->second.root == root && is_under(it->second.directory, directory)) {
        ::inotify_rm_watch(inotify_fd, it->first);  // its IN_IGNORED then finds no entry
        it = watches.erase(it);
      } else {
        ++it;
      }
    }
  }

  void lose_root(std::size_t root, const char* what_happened) {
    roots[root].present = false;
    unwatch_under(root, directory_of(root));
    roots[root].pending.clear();
    note(root, directory_of(root));
    spdlog::warn("watch: {} was {}; changes are picked up again once it is back", directory_of(root).string(),
                 what_happened);
  }

  void look_for_missing_roots() {
    for (std::size_t root = 0; root < roots.size(); ++root) {
      std::error_code ec;
      if (roots[root].present || !fs::is_directory(directory_of(root), ec)) continue;
      if (!watch_tree(root, directory_of(root), false)) continue;
      roots[root].present = true;
      note(root, directory_of(root));
      spdlog::info("watch: {} is there (again); watching it", directory_of(root).string());
    }
  }

  void handle(const inotify_event& event) {
    if (event.mask & IN_Q_OVERFLOW) {
      spdlog::warn("watch: the kernel dropped events (queue overflow); treating every watched tree as changed");
      for (std::size_t root = 0; root < roots.size(); ++root) {
        if (roots[root].present) note(root, directory_of(root));
      }
      return;
    }
    const auto found = watches.find(event.wd);
    if (found == watches.end()) return;
    const Watch watch = found->second;
    const bool is_root = watch.directory == directory_of(watch.root);
    if (event.mask & IN_IGNORED) {  // the kernel dropped the watch (deleted, unmounted)
      watches.erase(found);
      if (is_root && roots[watch.root].present) lose_root(watch.root, "removed");
      return;
    }
    if (event.mask & (IN_DELETE_SELF | IN_MOVE_SELF)) {
      // A subdirectory's own events are reported by its parent's.
      if (is_root) lose_root(watch.root, (event.mask & IN_MOVE_SELF) ? "moved away" : "removed");
      return;
    }
    const fs::path path = event.len > 0 ? watch.directory / event.name : watch.directory;
    note(watch.root, path);
    if (event.mask & IN_ISDIR) {
      if (event.mask & (IN_CREATE | IN_MOVED_TO)) watch_tree(watch.root, path, true);
      else if (event.mask & IN_MOVED_FROM) unwatch_under(watch.root, path);
    }
  }

  void read_events() {
    for (;;) {
      const ssize_t size = ::read(inotify_fd, buffer, sizeof buffer);
      if (size < 0 && errno == EINTR) continue;
      if (size <= 0) return;  // EAGAIN: drained
      for (const char* at = buffer; at < buffer + size;) {
        const auto* event = reinterpret_cast<const inotify_event*>(at);
        handle(*event);
        at += sizeof(inotify_event) + event->len;
      }
    }
  }

  /// When the pending changes are to be reported: the burst ended, or a failed report is retried.
  std::optional<Clock::time_point> report_due() const {
    std::optional<Clock::time_point> due = retry_at;
    if (burst_began) {
      const auto burst_end = std::min(last_event + options.quiet_period, *burst_began + options.max_delay);
      due = due ? std::min(*due, burst_end) : burst_end;
    }
    return due;
  }

  /// Milliseconds poll() may sleep: until the report is due, or the next look for a missing root.
  int poll_timeout() const {
    std::optional<milliseconds> timeout;
    if (const auto due = report_due()) {
      const auto left = std::chrono::ceil<milliseconds>(*due - Clock::now());
      timeout = std::max(left, milliseconds(0));
    }
    const bool missing = std::any_of(roots.begin(), roots.end(), [](const Root& root) { return !root.present; });
    if (missing) timeout = std::min(timeout.value_or(options.missing_poll), options.missing_poll);
    return timeout ? static_cast<int>(timeout->count()) : -1;
  }

  void report() {
    burst_began.reset();
    retry_at.reset();
    for (auto& root : roots) {
      if (root.pending.empty()) continue;
      const std::vector<fs::path> changed(root.pending.begin(), root.pending.end());
      root.pending.clear();
      std::string failure;
      try {
        root.watched.on_change(changed);
      } catch (const std::exception& error) {
        failure = error.what();
      } catch (...) {
        failure = "an unknown error";
      }
      if (failure.empty()) continue;
      spdlog::error("watch: handling changes in {} failed: {}; trying again in {}ms",
                    root.watched.directory.string(), failure, options.retry_delay.count());
      root.pending.insert(changed.begin(), changed.end());
      retry_at = Clock::now() + options.retry_delay;
    }
  }

  void run() {
    for (;;) {
      pollfd fds[2] = {{stop_fd, POLLIN, 0}, {inotify_fd, POLLIN, 0}};
      const int ready = ::poll(fds, 2, poll_timeout());
      if (ready < 0 && errno != EINTR) {
        spdlog::error("watch: poll failed ({}); no longer watching", std::strerror(errno));
        return;
      }
      if (ready > 0 && (fds[0].revents & POLLIN)) return;
      try {
        if (ready > 0 && (fds[1].revents & POLLIN)) read_events();
        look_for_missing_roots();
        if (const auto due = report_due(); due && Clock::now() >= *due) report();
      } catch (const std::exception& error) {  // e.g. out of memory: keep watching
        spdlog::error("watch: {}", error.what());
      }
    }
  }
};

DirectoryWatcher::DirectoryWatcher(std::vector<WatchedRoot> roots, WatchOptions options)
    : impl_(std::make_unique<Impl>()) {
  impl_->options = options;
  for (auto& root : roots) {
    root.directory = normalized(root.directory);
    impl_->roots.push_back(Impl::Root{std::move(root), false, {}});
  }
}

DirectoryWatcher::~DirectoryWatcher() { stop(); }

void DirectoryWatcher::start() {
  auto& impl = *impl_;
  if (impl.thread.joinable()) return;
  if (impl.inotify_fd < 0) impl.inotify_fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (impl.inotify_fd < 0) throw std::runtime_error(std::string("cannot use inotify: ") + std::strerror(errno));
  if (impl.stop_fd < 0) impl.stop_fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (impl.stop_fd < 0) throw std::runtime_error(std::string("cannot create an eventfd: ") + std::strerror(errno));
  for (std::size_t root = 0; root < impl.roots.size(); ++root) {
    const auto& directory = impl.directory_of(root);
    std::error_code ec;
    impl.roots[root].present = fs::is_directory(directory, ec) && impl.watch_tree(root, directory, false);
    if (!impl.roots[root].present)
      spdlog::warn("watch: {} does not exist; watching for it to appear", directory.string());
  }
  impl.thread = std::thread([&impl] { impl.run(); });
}

void DirectoryWatcher::stop() {
  if (!impl_->thread.joinable()) return;
  const std::uint64_t one = 1;
  [[maybe_unused]] const auto written = ::write(impl_->stop_fd, &one, sizeof one);
  impl_->thread.join();
  std::uint64_t count = 0;  // reset, so a later start() runs
  [[maybe_unused]] const auto read = ::read(impl_->stop_fd, &count, sizeof count);
}

}  // namespace weft::watch
