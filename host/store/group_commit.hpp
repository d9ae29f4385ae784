// Lets the checkpoints of many executions share one commit, and so one WAL
// flush (issue 6). The committer has a few lanes, each with its own
// connection. A writer that finds a lane idle leads it: it takes everything
// queued and writes it in one statement, while the others wait for that
// commit. Under light load every checkpoint has a lane to itself (no added
// latency); under heavy load batches grow and commits are shared. Each caller
// returns only once its own checkpoint is durable, so a step never starts
// before the one it follows is committed. Lanes never contend for rows: a
// run has at most one checkpoint in flight (its lock is held while it writes).
#pragma once

#include "store/store.hpp"

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace weft::store {

class GroupCommit {
 public:
  GroupCommit(std::string url, int lanes, std::size_t max_batch = 128);
  ~GroupCommit();
  GroupCommit(const GroupCommit&) = delete;
  GroupCommit& operator=(const GroupCommit&) = delete;

  /// Writes `checkpoint`; false when fenced out (nothing written). Throws
  /// StoreError when it could not be written or its commit is in doubt.
  bool write(const Lease& lease, const Checkpoint& checkpoint);

  struct Stats {
    std::uint64_t commits = 0;
    std::uint64_t checkpoints = 0;
  };
  /// Commits and checkpoints since the last call.
  Stats take_stats();

 private:
  struct Waiter;
  struct Lane {
    bool busy = false;
    std::unique_ptr<Store> connection;  // used by the lane's current leader only
  };
  void lead(Lane& lane, std::unique_lock<std::mutex>& lock);

  const std::string url_;
  const std::size_t max_batch_;
  std::mutex mutex_;
  std::vector<Waiter*> queue_;  // not yet taken by a leader, oldest first
  std::vector<Lane> lanes_;
  Stats stats_;
};

}  // namespace weft::store
