#include "http/handler_pool.hpp"

#include "common/thread_name.hpp"

#include <string>

namespace weft::http {

HandlerPool::HandlerPool(int threads, std::size_t queue_limit) : queue_limit_(queue_limit) {
  for (int i = 0; i < threads; ++i) threads_.emplace_back([this, i] { work(static_cast<std::size_t>(i)); });
}

HandlerPool::~HandlerPool() { stop(); }

bool HandlerPool::submit(Task task) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ || queue_.size() >= queue_limit_) return false;
    queue_.push_back(std::move(task));
  }
  ready_.notify_one();
  return true;
}

void HandlerPool::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ && threads_.empty()) return;
    stopping_ = true;
  }
  ready_.notify_all();
  for (auto& thread : threads_) thread.join();
  threads_.clear();
}

void HandlerPool::work(std::size_t index) {
  name_this_thread("weft-http-" + std::to_string(index));
  for (;;) {
    Task task;
    {
      std::unique_lock lock(mutex_);
      ready_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and nothing left
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    task(index);
  }
}

}  // namespace weft::http
