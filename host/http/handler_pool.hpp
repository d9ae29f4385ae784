// The threads that run request handlers, apart from the I/O threads: a
// handler may block on the database; the I/O threads never do.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace weft::http {

class HandlerPool {
 public:
  using Task = std::function<void(std::size_t worker)>;

  HandlerPool(int threads, std::size_t queue_limit);
  ~HandlerPool();
  HandlerPool(const HandlerPool&) = delete;
  HandlerPool& operator=(const HandlerPool&) = delete;

  /// Queues `task`; false (and nothing queued) when the queue is full or stopped.
  bool submit(Task task);
  /// Runs what is queued, then joins the threads.
  void stop();

 private:
  void work(std::size_t index);

  std::size_t queue_limit_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<Task> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace weft::http
