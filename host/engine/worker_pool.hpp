// Worker threads, each owning what must never be shared between threads: a
// database connection and a Lua VM (STYLE: one VM per thread, no global lock).
#pragma once

#include "lua/vm.hpp"
#include "store/store.hpp"

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace weft::engine {

/// What a task runs with. `store()` reconnects lazily after a lost connection.
class WorkerContext {
 public:
  WorkerContext(std::string database_url, lua::VmOptions vm_options);
  store::Store& store();
  lua::Vm& vm() { return vm_; }
  /// Drops the connection so the next store() reconnects.
  void reset_store() { store_.reset(); }

 private:
  std::string database_url_;
  std::unique_ptr<store::Store> store_;
  lua::Vm vm_;
};

class WorkerPool {
 public:
  using Task = std::function<void(WorkerContext&)>;

  WorkerPool(int threads, std::string database_url, lua::VmOptions vm_options);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  void post(Task task);
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
