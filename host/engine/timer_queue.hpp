// Runs callbacks at a time on one thread: retry backoff and execution deadlines.
// Callbacks must be quick (they hand work to the worker pool).
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <queue>
#include <thread>
#include <vector>

namespace weft::engine {

class TimerQueue {
 public:
  using Clock = std::chrono::steady_clock;

  TimerQueue();
  ~TimerQueue();
  TimerQueue(const TimerQueue&) = delete;
  TimerQueue& operator=(const TimerQueue&) = delete;

  void schedule(Clock::time_point when, std::function<void()> callback);
  /// Stops the thread; pending callbacks are dropped.
  void stop();

 private:
  struct Entry {
    Clock::time_point when;
    std::uint64_t order;
    std::function<void()> callback;
    bool operator>(const Entry& other) const {
      return when != other.when ? when > other.when : order > other.order;
    }
  };
  void run();

  std::mutex mutex_;
  std::condition_variable changed_;
  std::priority_queue<Entry, std::vector<Entry>, std::greater<>> entries_;
  std::uint64_t next_order_ = 0;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace weft::engine
