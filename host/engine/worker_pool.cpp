#include "engine/worker_pool.hpp"

#include <spdlog/spdlog.h>

namespace weft::engine {

WorkerContext::WorkerContext(std::string database_url, lua::VmOptions vm_options)
    : database_url_(std::move(database_url)), vm_(std::move(vm_options)) {}

store::Store& WorkerContext::store() {
  if (!store_) store_ = std::make_unique<store::Store>(database_url_);
  return *store_;
}

WorkerPool::WorkerPool(int threads, std::string database_url, lua::VmOptions vm_options) {
  for (int i = 0; i < threads; ++i) {
    threads_.emplace_back([this, database_url, vm_options] {
      WorkerContext context(database_url, vm_options);
      run(context);
    });
  }
}

WorkerPool::~WorkerPool() { stop(); }

void WorkerPool::post(Task task) {
  {
    std::lock_guard lock(mutex_);
    tasks_.push_back(std::move(task));
  }
  available_.notify_one();
}

void WorkerPool::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  available_.notify_all();
  for (auto& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
}

void WorkerPool::run(WorkerContext& context) {
  for (;;) {
    Task task;
    {
      std::unique_lock lock(mutex_);
      available_.wait(lock, [&] { return stopping_ || !tasks_.empty(); });
      if (tasks_.empty()) return;
      task = std::move(tasks_.front());
      tasks_.pop_front();
    }
    // Last line of defence: tasks handle their own errors, but a worker thread
    // must never die with an exception.
    try {
      task(context);
    } catch (const std::exception& error) {
      spdlog::error("internal error in a worker task: {}", error.what());
    } catch (...) {
      spdlog::error("internal error in a worker task");
    }
  }
}

}  // namespace weft::engine
