// Watches directory trees with inotify and reports, per tree, which paths
// changed. Editors save by writing a temporary file and renaming it, so events
// are gathered into bursts: a burst is reported once the trees were quiet for
// `quiet_period` (or `max_delay` after it began, for a tree that never rests).
// New subdirectories are watched as they appear. A watched root that is
// removed is logged and looked for again until it is back.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <vector>

namespace weft::watch {

/// Receives the changed paths of one burst (absolute, sorted, each once; the
/// root itself when it disappeared, came back, or events were lost). Runs on
/// the watcher's thread. When it throws, the error is logged and the same
/// paths are reported again `retry_delay` later (with any newer changes).
using ChangeCallback = std::function<void(const std::vector<std::filesystem::path>& changed)>;

/// One tree and who is told about its changes. Several roots share one thread,
/// e.g. the workflows directory and the plugins directory with separate callbacks.
struct WatchedRoot {
  std::filesystem::path directory;
  ChangeCallback on_change;
};

struct WatchOptions {
  std::chrono::milliseconds quiet_period{120};
  std::chrono::milliseconds max_delay{1000};
  /// How often a root that does not exist (any more) is looked for.
  std::chrono::milliseconds missing_poll{250};
  /// After a callback threw (e.g. the database was unreachable), when to call it again.
  std::chrono::milliseconds retry_delay{2000};
};

class DirectoryWatcher {
 public:
  explicit DirectoryWatcher(std::vector<WatchedRoot> roots, WatchOptions options = {});
  ~DirectoryWatcher();  // stops
  DirectoryWatcher(const DirectoryWatcher&) = delete;
  DirectoryWatcher& operator=(const DirectoryWatcher&) = delete;

  /// Watches the trees and starts the thread. Throws std::runtime_error when
  /// inotify cannot be used; a root that does not exist yet is waited for.
  void start();
  /// Stops the thread (a burst not yet reported is dropped). Idempotent.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace weft::watch
