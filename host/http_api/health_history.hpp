// What /v1/health compares against: the last readings, kept in the process,
// so "growing" means growing since the previous checks, not merely non-zero.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <mutex>

namespace weft::http_api {

class HealthHistory {
 public:
  struct Reading {
    std::chrono::steady_clock::time_point at;
    std::int64_t backlog = 0;  // pending executions and unrouted events
    std::int64_t dead_letters = 0;
  };

  /// Records `now` and returns the oldest reading kept within `window` before it (or `now` itself).
  Reading record(const Reading& now, std::chrono::seconds window = std::chrono::seconds(300)) {
    std::lock_guard lock(mutex_);
    while (!readings_.empty() && now.at - readings_.front().at > window) readings_.pop_front();
    const Reading oldest = readings_.empty() ? now : readings_.front();
    readings_.push_back(now);
    if (readings_.size() > 1000) readings_.pop_front();
    return oldest;
  }

 private:
  std::mutex mutex_;
  std::deque<Reading> readings_;
};

}  // namespace weft::http_api
