// The inotify watcher against a real temporary directory: what it reports and
// how it groups bursts. Time bounds are generous: they check that a report
// comes, not how fast.
#include "watch/watcher.hpp"

#include "support/process.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <thread>

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using weft::test::TempDir;
using weft::watch::DirectoryWatcher;
using weft::watch::WatchOptions;

namespace {

using Burst = std::set<fs::path>;

/// Receives the watcher's reports on its thread; the test takes them in order.
class Bursts {
 public:
  weft::watch::ChangeCallback callback() {
    return [this](const std::vector<fs::path>& changed) {
      std::lock_guard lock(mutex_);
      bursts_.emplace_back(changed.begin(), changed.end());
      arrived_.notify_all();
    };
  }

  std::optional<Burst> next(std::chrono::milliseconds timeout = 5s) {
    std::unique_lock lock(mutex_);
    if (!arrived_.wait_for(lock, timeout, [&] { return !bursts_.empty(); })) return std::nullopt;
    auto burst = std::move(bursts_.front());
    bursts_.pop_front();
    return burst;
  }

  /// Takes bursts until one contains `path`; false if none does in time.
  bool until_reported(const fs::path& path, std::chrono::milliseconds timeout = 5s) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < until) {
      const auto burst = next(std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now()));
      if (burst && burst->count(path)) return true;
    }
    return false;
  }

 private:
  std::mutex mutex_;
  std::condition_variable arrived_;
  std::deque<Burst> bursts_;
};

WatchOptions quick() {
  WatchOptions options;
  options.quiet_period = 100ms;
  options.max_delay = 1000ms;
  options.missing_poll = 50ms;
  return options;
}

/// A temporary folder `tree` (with `create` false: a place where it may appear), watched.
struct WatchedTree {
  explicit WatchedTree(WatchOptions options = quick(), bool create = true)
      : watcher({{root, bursts.callback()}}, options) {
    if (create) fs::create_directories(root);
    watcher.start();
  }
  TempDir dir;
  fs::path root = dir.path() / "tree";
  Bursts bursts;
  DirectoryWatcher watcher;
};

}  // namespace

TEST_CASE("the watcher reports created, modified, renamed and deleted files", "[watch]") {
  WatchedTree tree;
  auto& [dir, root, bursts, watcher] = tree;
  dir.write("tree/a.yaml", "one");
  auto burst = bursts.next();
  REQUIRE(burst);
  CHECK(*burst == Burst{root / "a.yaml"});

  dir.write("tree/a.yaml", "two");
  burst = bursts.next();
  REQUIRE(burst);
  CHECK(*burst == Burst{root / "a.yaml"});

  fs::rename(root / "a.yaml", root / "b.yaml");
  burst = bursts.next();
  REQUIRE(burst);
  CHECK(*burst == (Burst{root / "a.yaml", root / "b.yaml"}));

  fs::remove(root / "b.yaml");
  burst = bursts.next();
  REQUIRE(burst);
  CHECK(*burst == Burst{root / "b.yaml"});

  CHECK_FALSE(bursts.next(400ms));  // nothing happened, nothing is reported
}

TEST_CASE("an editor's save (temporary file, writes, rename) is reported once", "[watch]") {
  auto options = quick();
  options.quiet_period = 300ms;  // a loaded machine may pause between the writes below
  WatchedTree tree(options);
  auto& [dir, root, bursts, watcher] = tree;
  dir.write("tree/flow.yaml", "old");
  REQUIRE(bursts.until_reported(root / "flow.yaml"));

  for (int i = 0; i < 5; ++i) dir.write("tree/.flow.yaml.swp", "draft " + std::to_string(i));
  dir.write("tree/flow.yaml~", "backup");
  fs::rename(root / ".flow.yaml.swp", root / "flow.yaml");
  fs::remove(root / "flow.yaml~");

  const auto burst = bursts.next();
  REQUIRE(burst);
  CHECK(*burst == (Burst{root / ".flow.yaml.swp", root / "flow.yaml", root / "flow.yaml~"}));
  CHECK_FALSE(bursts.next(400ms));
}

TEST_CASE("the watcher follows new subdirectories, also ones created with content", "[watch]") {
  WatchedTree tree;
  auto& [dir, root, bursts, watcher] = tree;
  // Created with content at once: the files may exist before the new watch does.
  fs::create_directories(root / "orders" / "steps");
  dir.write("tree/orders/steps/price.lua", "x");
  REQUIRE(bursts.until_reported(root / "orders" / "steps" / "price.lua"));

  // Later writes deep down come through the watches added on the way.
  std::this_thread::sleep_for(200ms);
  dir.write("tree/orders/steps/price.lua", "y");
  const auto burst = bursts.next();
  REQUIRE(burst);
  CHECK(*burst == Burst{root / "orders" / "steps" / "price.lua"});

  // A subdirectory moved away is no longer reported under its old name.
  fs::rename(root / "orders", dir.path() / "elsewhere");
  REQUIRE(bursts.until_reported(root / "orders"));
  dir.write("elsewhere/steps/price.lua", "z");
  CHECK_FALSE(bursts.next(400ms));
}

TEST_CASE("a watched root that is removed is reported, and watched again once recreated", "[watch]") {
  WatchedTree tree;
  auto& [dir, root, bursts, watcher] = tree;
  dir.write("tree/sub/a.yaml", "a");
  REQUIRE(bursts.until_reported(root / "sub" / "a.yaml"));

  fs::remove_all(root);
  REQUIRE(bursts.until_reported(root));

  dir.write("tree/b.yaml", "b");  // recreated, with a file in it
  REQUIRE(bursts.until_reported(root));
  std::this_thread::sleep_for(200ms);
  dir.write("tree/c.yaml", "c");
  REQUIRE(bursts.until_reported(root / "c.yaml"));
}

TEST_CASE("a root that does not exist yet is watched once it appears", "[watch]") {
  WatchedTree tree(quick(), false);
  auto& [dir, root, bursts, watcher] = tree;
  CHECK_FALSE(bursts.next(300ms));
  fs::create_directories(root);
  REQUIRE(bursts.until_reported(root));
  std::this_thread::sleep_for(200ms);
  dir.write("tree/x.yaml", "x");
  REQUIRE(bursts.until_reported(root / "x.yaml"));
}

TEST_CASE("several roots report to their own callbacks", "[watch]") {
  TempDir dir;
  fs::create_directories(dir.path() / "workflows");
  fs::create_directories(dir.path() / "plugins");
  Bursts workflows;
  Bursts plugins;
  DirectoryWatcher watcher({{dir.path() / "workflows", workflows.callback()},
                            {dir.path() / "plugins/", plugins.callback()}},  // a trailing slash is fine
                           quick());
  watcher.start();
  dir.write("plugins/http.so", "elf");
  const auto burst = plugins.next();
  REQUIRE(burst);
  CHECK(*burst == Burst{dir.path() / "plugins" / "http.so"});
  CHECK_FALSE(workflows.next(300ms));
}

TEST_CASE("a continuous stream of changes is still reported within max_delay", "[watch]") {
  auto options = quick();
  options.max_delay = 300ms;
  WatchedTree tree(options);
  auto& [dir, root, bursts, watcher] = tree;
  // Never quiet for 100ms, for 2s: without max_delay nothing would be reported meanwhile.
  bool reported_while_busy = false;
  const auto until = std::chrono::steady_clock::now() + 2s;
  for (int i = 0; std::chrono::steady_clock::now() < until; ++i) {
    dir.write("tree/busy.log", std::to_string(i));
    if (bursts.next(20ms)) reported_while_busy = true;
  }
  CHECK(reported_while_busy);
}

TEST_CASE("a callback that throws gets the same changes again later, and the watcher goes on", "[watch]") {
  TempDir dir;
  const auto root = dir.path() / "tree";
  fs::create_directories(root);
  Bursts bursts;
  std::atomic<int> calls{0};
  auto record = bursts.callback();
  auto options = quick();
  options.retry_delay = 300ms;
  DirectoryWatcher watcher({{root,
                             [&](const std::vector<fs::path>& changed) {
                               if (++calls == 1) throw std::runtime_error("database unreachable");
                               record(changed);
                             }}},
                           options);
  watcher.start();
  dir.write("tree/one", "1");
  const auto retried = bursts.next();  // nothing else changed: this is the retry
  REQUIRE(retried);
  CHECK(*retried == Burst{root / "one"});
  CHECK(calls == 2);

  dir.write("tree/two", "2");
  const auto next = bursts.next();
  REQUIRE(next);
  CHECK(*next == Burst{root / "two"});
  CHECK(calls == 3);
  watcher.stop();
  watcher.stop();  // idempotent
}
