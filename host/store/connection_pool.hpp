// A bounded set of database connections shared by all workers of a host
// (db_pool). A worker borrows one for what it reads and writes, waits at
// most `acquire_timeout` when all are in use, and a connection that broke is
// closed instead of being handed to the next borrower. Control work (dispatch,
// heartbeats, notifications) keeps its own connections so that a busy pool can
// never starve the lease.
#pragma once

#include "store/store.hpp"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace weft::store {

/// No connection became free in time. Retryable: the pool is busy, not broken.
class PoolTimeout : public StoreError {
 public:
  using StoreError::StoreError;
};

struct PoolOptions {
  int size = 4;
  std::chrono::milliseconds acquire_timeout{5000};
  /// Called (under no lock) after every acquisition with how long it waited
  /// (0 when a connection was free) and whether it gave up; for metrics. It
  /// must be cheap and must not throw.
  std::function<void(double wait_seconds, bool timed_out)> on_acquire;
};

/// Usage since the pool was made (or since the last take_stats()).
struct PoolStats {
  int size = 0;
  int in_use = 0;
  // Now, and since the pool was made (take_stats() keeps them):
  int idle = 0;                     // open connections nobody has borrowed
  int waiting = 0;                  // borrowers waiting for a connection
  std::uint64_t timed_out_ever = 0;  // acquisitions that gave up
  // Since the pool was made or the last take_stats():
  int peak_in_use = 0;
  std::uint64_t acquired = 0;
  std::uint64_t waited = 0;     // acquisitions that found every connection in use
  std::uint64_t timed_out = 0;  // acquisitions that gave up
  double wait_ms_total = 0;
  double wait_ms_max = 0;
};

class ConnectionPool {
 public:
  ConnectionPool(std::string url, PoolOptions options);
  ~ConnectionPool();
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  /// One borrowed connection; goes back to the pool when destroyed.
  class Borrowed {
   public:
    Borrowed(Borrowed&& other) noexcept;
    Borrowed& operator=(Borrowed&& other) noexcept;
    Borrowed(const Borrowed&) = delete;
    Borrowed& operator=(const Borrowed&) = delete;
    ~Borrowed();

    Store& store() { return *store_; }
    /// The connection is unusable (lost, or in an unknown state): close it instead of returning it.
    void discard() { broken_ = true; }
    /// Replaces an unusable connection with a fresh one, keeping the pool slot
    /// (so the borrower never has to queue again). Throws StoreError.
    void reconnect();
    /// How long the borrower waited, and how many connections were in use once it had one.
    double wait_ms() const { return wait_ms_; }
    int in_use() const { return in_use_; }

   private:
    friend class ConnectionPool;
    Borrowed(ConnectionPool* pool, std::unique_ptr<Store> store, double wait_ms, int in_use);
    void give_back();

    ConnectionPool* pool_ = nullptr;
    std::unique_ptr<Store> store_;
    bool broken_ = false;
    double wait_ms_ = 0;
    int in_use_ = 0;
  };

  /// Borrows a connection, opening one if the pool has room. Throws PoolTimeout
  /// when none is free within `timeout` (default: the pool's acquire timeout),
  /// StoreError when connecting fails.
  Borrowed acquire();
  Borrowed acquire(std::chrono::milliseconds timeout);

  int size() const { return options_.size; }
  std::chrono::milliseconds acquire_timeout() const { return options_.acquire_timeout; }
  PoolStats stats() const;
  /// The stats, then counters start again from zero (in_use and size stay).
  PoolStats take_stats();

 private:
  void give_back(std::unique_ptr<Store> store, bool broken);

  const std::string url_;
  const PoolOptions options_;
  mutable std::mutex mutex_;
  std::condition_variable returned_;
  std::vector<std::unique_ptr<Store>> idle_;
  int open_ = 0;  // idle + borrowed + being opened
  PoolStats stats_;
};

}  // namespace weft::store
