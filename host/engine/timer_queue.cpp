#include "engine/timer_queue.hpp"

#include "common/thread_name.hpp"

namespace weft::engine {

TimerQueue::TimerQueue()
    : thread_([this] {
        name_this_thread("weft-timers");
        run();
      }) {}

TimerQueue::~TimerQueue() { stop(); }

void TimerQueue::schedule(Clock::time_point when, std::function<void()> callback) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    entries_.push(Entry{when, next_order_++, std::move(callback)});
  }
  changed_.notify_one();
}

void TimerQueue::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void TimerQueue::run() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    if (entries_.empty()) {
      changed_.wait(lock);
      continue;
    }
    const auto when = entries_.top().when;
    if (Clock::now() < when) {
      changed_.wait_until(lock, when);
      continue;
    }
    auto callback = std::move(const_cast<Entry&>(entries_.top()).callback);
    entries_.pop();
    lock.unlock();
    callback();
    lock.lock();
  }
}

}  // namespace weft::engine
