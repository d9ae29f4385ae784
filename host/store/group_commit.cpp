#include "store/group_commit.hpp"

#include "common/thread_name.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <iterator>
#include <utility>

namespace weft::store {

struct GroupCommit::Entry {
  const Lease* lease = nullptr;
  Checkpoint checkpoint;
  Done done;
};

namespace {
// Set while this thread runs completions: a checkpoint submitted from one is
// only queued (writing it here would nest batches inside batches).
thread_local bool in_completion = false;
}  // namespace

GroupCommit::GroupCommit(std::string url, int lanes, std::size_t max_batch)
    : url_(std::move(url)), max_batch_(max_batch), lanes_(static_cast<std::size_t>(std::max(1, lanes))) {
  for (std::size_t i = 0; i < lanes_.size(); ++i) {
    lanes_[i].thread = std::thread([this, i] {
      name_this_thread("weft-commit-" + std::to_string(i + 1));
      serve(lanes_[i]);
    });
  }
}

GroupCommit::~GroupCommit() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  queued_.notify_all();
  for (auto& lane : lanes_) lane.thread.join();
}

void GroupCommit::submit(const Lease& lease, Checkpoint checkpoint, Done done) {
  auto entry = std::make_unique<Entry>(Entry{&lease, std::move(checkpoint), std::move(done)});
  std::unique_lock lock(mutex_);
  queue_.push_back(std::move(entry));
  const auto idle = std::find_if(lanes_.begin(), lanes_.end(), [](const Lane& lane) { return !lane.busy; });
  if (idle == lanes_.end()) return;  // a busy lane takes it when its batch is done
  if (in_completion) {
    queued_.notify_all();
    return;
  }
  write_batch(*idle, lock);
}

bool GroupCommit::write(const Lease& lease, Checkpoint checkpoint) {
  std::mutex mutex;
  std::condition_variable answered;
  std::optional<Outcome> result;
  submit(lease, std::move(checkpoint), [&](const Checkpoint&, const Outcome& outcome) {
    std::lock_guard lock(mutex);
    result = outcome;
    answered.notify_one();
  });
  std::unique_lock lock(mutex);
  answered.wait(lock, [&] { return result.has_value(); });
  if (result->failure) std::rethrow_exception(result->failure);
  return result->written;
}

void GroupCommit::drain() {
  std::unique_lock lock(mutex_);
  idle_.wait(lock, [&] { return queue_.empty() && all_lanes_idle(); });
}

void GroupCommit::serve(Lane& lane) {
  std::unique_lock lock(mutex_);
  for (;;) {
    // On stop, a lane leaves only once nothing is queued or being written: a
    // batch's completions may still queue checkpoints.
    queued_.wait(lock, [&] {
      return (!lane.busy && !queue_.empty()) || (stopping_ && queue_.empty() && all_lanes_idle());
    });
    if (queue_.empty()) return;
    write_batch(lane, lock);
  }
}

void GroupCommit::write_batch(Lane& lane, std::unique_lock<std::mutex>& lock) {
  lane.busy = true;
  const auto take = static_cast<std::ptrdiff_t>(std::min(queue_.size(), max_batch_));
  std::vector<std::unique_ptr<Entry>> batch(std::make_move_iterator(queue_.begin()),
                                            std::make_move_iterator(queue_.begin() + take));
  queue_.erase(queue_.begin(), queue_.begin() + take);
  lock.unlock();

  std::vector<Store::BatchedCheckpoint> results(batch.size());
  std::vector<Store::BatchedCheckpoint*> entries;
  entries.reserve(batch.size());
  for (std::size_t i = 0; i < batch.size(); ++i) {
    results[i].lease = batch[i]->lease;
    results[i].checkpoint = &batch[i]->checkpoint;
    entries.push_back(&results[i]);
  }
  bool failed = false;
  try {
    if (!lane.connection) lane.connection = std::make_unique<Store>(url_);
    lane.connection->checkpoint_batch(entries);
    failed = std::any_of(results.begin(), results.end(), [](const auto& result) { return result.failure != nullptr; });
  } catch (...) {  // connecting failed
    const auto failure = std::current_exception();
    for (auto& result : results) result.failure = failure;
    failed = true;
  }
  if (failed) lane.connection.reset();  // it may be broken; the lane's next batch connects afresh

  const bool nested = std::exchange(in_completion, true);
  for (std::size_t i = 0; i < batch.size(); ++i) {
    try {
      batch[i]->done(batch[i]->checkpoint, Outcome{results[i].written, results[i].failure});
    } catch (const std::exception& error) {  // a completion must not throw; a lane must not die
      spdlog::error("internal error after a checkpoint was written: {}", error.what());
    }
  }
  in_completion = nested;

  lock.lock();
  ++stats_.commits;
  stats_.checkpoints += batch.size();
  lane.busy = false;
  // Completions may have queued the next checkpoints of their executions.
  if (!queue_.empty() || stopping_) queued_.notify_all();
  if (queue_.empty() && all_lanes_idle()) idle_.notify_all();
}

bool GroupCommit::all_lanes_idle() const {
  return std::none_of(lanes_.begin(), lanes_.end(), [](const Lane& lane) { return lane.busy; });
}

GroupCommit::Stats GroupCommit::take_stats() {
  std::lock_guard lock(mutex_);
  return std::exchange(stats_, Stats{});
}

}  // namespace weft::store
