#include "store/connection_pool.hpp"

#include <algorithm>
#include <stdexcept>
#include <utility>

namespace weft::store {

ConnectionPool::ConnectionPool(std::string url, PoolOptions options)
    : url_(std::move(url)), options_(options) {
  if (options_.size < 1) throw std::invalid_argument("a connection pool needs at least one connection");
  stats_.size = options_.size;
}

ConnectionPool::~ConnectionPool() = default;

ConnectionPool::Borrowed ConnectionPool::acquire() { return acquire(options_.acquire_timeout); }

ConnectionPool::Borrowed ConnectionPool::acquire(std::chrono::milliseconds timeout) {
  using Clock = std::chrono::steady_clock;
  const auto started = Clock::now();
  std::unique_lock lock(mutex_);
  const bool must_wait = idle_.empty() && open_ >= options_.size;
  if (must_wait) {
    ++stats_.waited;
    ++stats_.waiting;
    const bool free = returned_.wait_for(lock, timeout,
                                         [&] { return !idle_.empty() || open_ < options_.size; });
    --stats_.waiting;
    if (!free) {
      ++stats_.timed_out;
      ++stats_.timed_out_ever;
      lock.unlock();
      if (options_.on_acquire)
        options_.on_acquire(std::chrono::duration<double>(Clock::now() - started).count(), true);
      throw PoolTimeout("no database connection became free within " +
                        std::to_string(timeout.count()) + "ms (all " +
                        std::to_string(options_.size) + " of the host's pool are in use; raise --db-pool)");
    }
  }
  std::unique_ptr<Store> store;
  if (!idle_.empty()) {
    store = std::move(idle_.back());
    idle_.pop_back();
  } else {
    ++open_;  // the slot is ours while we connect, outside the lock
    lock.unlock();
    try {
      store = std::make_unique<Store>(url_);
    } catch (...) {
      lock.lock();
      --open_;
      returned_.notify_one();
      throw;
    }
    lock.lock();
  }
  const double wait_ms = std::chrono::duration<double, std::milli>(Clock::now() - started).count();
  ++stats_.acquired;
  ++stats_.in_use;
  stats_.peak_in_use = std::max(stats_.peak_in_use, stats_.in_use);
  if (must_wait) {
    stats_.wait_ms_total += wait_ms;
    stats_.wait_ms_max = std::max(stats_.wait_ms_max, wait_ms);
  }
  Borrowed borrowed(this, std::move(store), must_wait ? wait_ms : 0.0, stats_.in_use);
  lock.unlock();
  if (options_.on_acquire) options_.on_acquire(borrowed.wait_ms() / 1000.0, false);
  return borrowed;
}

void ConnectionPool::give_back(std::unique_ptr<Store> store, bool broken) {
  {
    std::lock_guard lock(mutex_);
    --stats_.in_use;
    if (broken) {
      --open_;  // the next borrower opens a fresh one
    } else {
      idle_.push_back(std::move(store));
    }
  }
  returned_.notify_one();
  // A broken connection is closed here, outside the lock.
}

PoolStats ConnectionPool::stats() const {
  std::lock_guard lock(mutex_);
  PoolStats stats = stats_;
  stats.idle = static_cast<int>(idle_.size());
  return stats;
}

PoolStats ConnectionPool::take_stats() {
  std::lock_guard lock(mutex_);
  PoolStats taken = stats_;
  taken.idle = static_cast<int>(idle_.size());
  stats_ = PoolStats{};
  stats_.size = taken.size;
  stats_.in_use = taken.in_use;
  stats_.waiting = taken.waiting;
  stats_.timed_out_ever = taken.timed_out_ever;
  stats_.peak_in_use = taken.in_use;
  return taken;
}

ConnectionPool::Borrowed::Borrowed(ConnectionPool* pool, std::unique_ptr<Store> store, double wait_ms, int in_use)
    : pool_(pool), store_(std::move(store)), wait_ms_(wait_ms), in_use_(in_use) {}

ConnectionPool::Borrowed::Borrowed(Borrowed&& other) noexcept
    : pool_(std::exchange(other.pool_, nullptr)),
      store_(std::move(other.store_)),
      broken_(other.broken_),
      wait_ms_(other.wait_ms_),
      in_use_(other.in_use_) {}

ConnectionPool::Borrowed& ConnectionPool::Borrowed::operator=(Borrowed&& other) noexcept {
  if (this != &other) {
    give_back();
    pool_ = std::exchange(other.pool_, nullptr);
    store_ = std::move(other.store_);
    broken_ = other.broken_;
    wait_ms_ = other.wait_ms_;
    in_use_ = other.in_use_;
  }
  return *this;
}

ConnectionPool::Borrowed::~Borrowed() { give_back(); }

void ConnectionPool::Borrowed::reconnect() {
  broken_ = true;  // if connecting fails, the slot is freed when this is given back
  store_.reset();
  store_ = std::make_unique<Store>(pool_->url_);
  broken_ = false;
}

void ConnectionPool::Borrowed::give_back() {
  if (pool_ == nullptr) return;
  pool_->give_back(std::move(store_), broken_);
  pool_ = nullptr;
}

}  // namespace weft::store
