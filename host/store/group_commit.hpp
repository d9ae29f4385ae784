// Lets the checkpoints of many executions share one commit, and so one WAL
// flush (issue 6). The committer has a few lanes, each with its own
// connection and thread. A submitted checkpoint is queued and the submitter
// goes on with other work; a lane takes everything queued, writes it in one
// statement and then tells each submitter what became of its checkpoint.
// Under light load a submitter that finds a lane idle writes on it itself and
// hears back at once, with no hand-off between threads; under load batches
// grow and commits are shared.
//
// The caller keeps its own checkpoints in order (at most one per execution in
// flight), so lanes never contend for rows, and it starts what depends on a
// checkpoint only from that checkpoint's completion: nothing starts before
// the checkpoint it follows is durable.
#pragma once

#include "store/store.hpp"

#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace weft::store {

class GroupCommit {
 public:
  /// What became of a submitted checkpoint.
  struct Outcome {
    bool written = false;        // false without `failure`: fenced out, nothing written
    std::exception_ptr failure;  // a StoreError: it could not be written, or its commit is in doubt
  };
  /// Runs once the checkpoint is durable, fenced out or failed; it must not throw.
  using Done = std::function<void(const Checkpoint& checkpoint, const Outcome& outcome)>;

  GroupCommit(std::string url, int lanes, std::size_t max_batch = 128);
  /// Writes what is still queued, then stops the lanes.
  ~GroupCommit();
  GroupCommit(const GroupCommit&) = delete;
  GroupCommit& operator=(const GroupCommit&) = delete;

  /// Queues `checkpoint` (`lease` must outlive `done`). When a lane is idle the
  /// calling thread writes the batch itself and `done` runs before this
  /// returns; so the caller must hold no lock that `done` takes. Called from a
  /// `Done`, it only queues.
  void submit(const Lease& lease, Checkpoint checkpoint, Done done);
  /// Writes `checkpoint` and waits for it; false when fenced out. Throws the
  /// StoreError when it could not be written or its commit is in doubt.
  bool write(const Lease& lease, Checkpoint checkpoint);
  /// Returns once nothing is queued or being written.
  void drain();

  struct Stats {
    std::uint64_t commits = 0;
    std::uint64_t checkpoints = 0;
  };
  /// Commits and checkpoints since the last call.
  Stats take_stats();

 private:
  struct Entry;
  struct Lane {
    bool busy = false;
    std::unique_ptr<Store> connection;  // used by whoever writes on the lane now
    std::thread thread;
  };
  /// Takes a batch off the queue, writes it on `lane` and runs its completions.
  void write_batch(Lane& lane, std::unique_lock<std::mutex>& lock);
  void serve(Lane& lane);
  bool all_lanes_idle() const;  // with mutex_ held

  const std::string url_;
  const std::size_t max_batch_;
  std::mutex mutex_;
  std::condition_variable queued_;  // lanes wait for work
  std::condition_variable idle_;    // drain waits for the queue to empty
  std::vector<std::unique_ptr<Entry>> queue_;  // oldest first
  std::vector<Lane> lanes_;
  bool stopping_ = false;
  Stats stats_;
};

}  // namespace weft::store
