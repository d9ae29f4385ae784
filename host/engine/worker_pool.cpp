#include "engine/worker_pool.hpp"

#include "common/thread_name.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <utility>

namespace weft::engine {

WorkerContext::WorkerContext(store::ConnectionPool& pool, lua::VmOptions vm_options)
    : pool_(pool), vm_(std::move(vm_options)) {}

namespace {
// Long enough for any queue of short checkpoints; bounded so a wedged pool shows up as an error.
constexpr std::chrono::milliseconds kBookkeepingWait{60000};
}  // namespace

store::Store& WorkerContext::attempt_store() { return borrowed_store(pool_.acquire_timeout()); }

store::Store& WorkerContext::store() {
  return borrowed_store(std::max(pool_.acquire_timeout(), kBookkeepingWait));
}

store::Store& WorkerContext::borrowed_store(std::chrono::milliseconds timeout) {
  if (!borrowed_) {
    borrowed_.emplace(pool_.acquire(timeout));
  } else if (needs_reconnect_) {
    borrowed_->reconnect();
    needs_reconnect_ = false;
  }
  return borrowed_->store();
}

void WorkerContext::return_store() {
  if (borrowed_ && needs_reconnect_) borrowed_->discard();
  needs_reconnect_ = false;
  borrowed_.reset();
}

void WorkerContext::run_after_task() {
  // Taken out before running: an action that queued another would otherwise
  // change the list under the loop.
  while (!after_task_.empty()) {
    for (auto& action : std::exchange(after_task_, {})) {
      try {
        action();
      } catch (const std::exception& error) {
        spdlog::error("internal error after a worker task: {}", error.what());
      }
    }
  }
}

Json WorkerContext::borrow_info() const {
  if (!borrowed_) return nullptr;
  return JsonObject{{"wait_ms", std::round(borrowed_->wait_ms() * 10) / 10},
                    {"in_use", borrowed_->in_use()},
                    {"size", pool_.size()}};
}

WorkerPool::WorkerPool(int threads, store::ConnectionPool& connections, lua::VmOptions vm_options) {
  for (int i = 0; i < threads; ++i) {
    threads_.emplace_back([this, &connections, vm_options, i] {
      name_this_thread("weft-worker-" + std::to_string(i + 1));
      WorkerContext context(connections, vm_options);
      run(context);
    });
  }
}

WorkerPool::~WorkerPool() { stop(); }

namespace {
// The pool the current thread works for, and the task it runs next.
thread_local WorkerPool* current_pool = nullptr;
thread_local WorkerPool::Task next_task;
}  // namespace

void WorkerPool::post_next(Task task) {
  if (current_pool == this && !next_task) {
    next_task = std::move(task);
    return;
  }
  post(std::move(task));
}

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
  current_pool = this;
  for (;;) {
    Task task;
    if (next_task) {
      task = std::move(next_task);
      next_task = nullptr;
    } else {
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
    context.return_store();
    context.run_after_task();
  }
}

}  // namespace weft::engine
