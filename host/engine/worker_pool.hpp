// Worker threads, each owning what must never be shared between threads: a
// Lua VM (STYLE: one VM per thread, no global lock) and, while a task runs, a
// database connection borrowed from the host's shared pool.
#pragma once

#include "common/json.hpp"
#include "lua/vm.hpp"
#include "store/connection_pool.hpp"

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace weft::engine {

/// What a task runs with. A database connection is borrowed from the pool on
/// first use and kept until the task ends, so a task that only runs Lua holds
/// none while it does.
class WorkerContext {
 public:
  WorkerContext(store::ConnectionPool& pool, lua::VmOptions vm_options);
  /// For what a step attempt starts with (its lock, its transaction): waits at
  /// most the pool's acquire timeout, then throws store::PoolTimeout.
  store::Store& attempt_store();
  /// For the host's own bookkeeping (checkpoints, releases): a checkpoint is
  /// short and must be written, so this waits up to kBookkeepingWait.
  store::Store& store();
  lua::Vm& vm() { return vm_; }
  /// The connection is lost or in an unknown state: the next store() reconnects
  /// (in the same pool slot, so a task holding a run's lock never queues).
  void reset_store() { needs_reconnect_ = borrowed_.has_value(); }
  /// Returns the borrowed connection to the pool (after each task); a broken one is closed.
  void return_store();
  /// How the current connection was obtained: {wait_ms, in_use, size}; null when none is held.
  Json borrow_info() const;
  /// Runs `action` once the current task has returned and released its locks
  /// and its connection (handing a checkpoint to group commit may run the
  /// checkpoint's completion on this thread, which takes the run's lock).
  void after_task(std::function<void()> action) { after_task_.push_back(std::move(action)); }
  /// Called by the pool between tasks.
  void run_after_task();

 private:
  store::Store& borrowed_store(std::chrono::milliseconds timeout);

  store::ConnectionPool& pool_;
  std::optional<store::ConnectionPool::Borrowed> borrowed_;
  bool needs_reconnect_ = false;
  std::vector<std::function<void()>> after_task_;
  lua::Vm vm_;
};

class WorkerPool {
 public:
  using Task = std::function<void(WorkerContext&)>;

  WorkerPool(int threads, store::ConnectionPool& connections, lua::VmOptions vm_options);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  void post(Task task);
  /// Like post, but when called from one of this pool's workers the task runs
  /// on that worker as soon as its current task returns (a run's next step
  /// stays on the thread that has its state warm, with no hand-off). Only one
  /// task is kept that way; others are posted.
  void post_next(Task task);
  /// Finishes queued tasks, then joins the threads.
  void stop();

 private:
  void run(WorkerContext& context);

  std::mutex mutex_;
  std::condition_variable available_;
  std::deque<Task> tasks_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace weft::engine
