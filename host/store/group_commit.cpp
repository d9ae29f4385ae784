#include "store/group_commit.hpp"

#include <algorithm>
#include <utility>

namespace weft::store {

struct GroupCommit::Waiter {
  Store::BatchedCheckpoint entry;
  bool taken = false;  // a leader is writing it
  bool done = false;
  // Each waiter is woken by name (its batch is done, or a lane it may lead
  // became free), never all at once: a herd of wake-ups costs more than the
  // commit they share.
  std::condition_variable wake;
};

GroupCommit::GroupCommit(std::string url, int lanes, std::size_t max_batch)
    : url_(std::move(url)), max_batch_(max_batch), lanes_(static_cast<std::size_t>(std::max(1, lanes))) {}

GroupCommit::~GroupCommit() = default;

bool GroupCommit::write(const Lease& lease, const Checkpoint& checkpoint) {
  Waiter me;
  me.entry.lease = &lease;
  me.entry.checkpoint = &checkpoint;
  std::unique_lock lock(mutex_);
  queue_.push_back(&me);
  while (!me.done) {
    const auto idle = std::find_if(lanes_.begin(), lanes_.end(), [](const Lane& lane) { return !lane.busy; });
    if (me.taken || idle == lanes_.end()) {
      me.wake.wait(lock);
    } else {
      lead(*idle, lock);  // the queue holds `me`, so the batch is never empty
    }
  }
  if (me.entry.failure) std::rethrow_exception(me.entry.failure);
  return me.entry.written;
}

void GroupCommit::lead(Lane& lane, std::unique_lock<std::mutex>& lock) {
  lane.busy = true;
  const auto take = std::min(queue_.size(), max_batch_);
  std::vector<Waiter*> batch(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(take));
  queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(take));
  for (auto* waiter : batch) waiter->taken = true;
  lock.unlock();

  std::vector<Store::BatchedCheckpoint*> entries;
  entries.reserve(batch.size());
  for (auto* waiter : batch) entries.push_back(&waiter->entry);
  bool failed = false;
  try {
    if (!lane.connection) lane.connection = std::make_unique<Store>(url_);
    lane.connection->checkpoint_batch(entries);
    failed = std::any_of(entries.begin(), entries.end(), [](const auto* entry) { return entry->failure != nullptr; });
  } catch (...) {  // connecting failed
    const auto failure = std::current_exception();
    for (auto* entry : entries) entry->failure = failure;
    failed = true;
  }
  if (failed) lane.connection.reset();  // it may be broken; the lane's next leader connects afresh

  lock.lock();
  ++stats_.commits;
  stats_.checkpoints += batch.size();
  lane.busy = false;
  for (auto* waiter : batch) {
    waiter->done = true;
    waiter->wake.notify_one();
  }
  // The lane is free: the oldest waiter not yet taken leads it next.
  if (!queue_.empty()) queue_.front()->wake.notify_one();
}

GroupCommit::Stats GroupCommit::take_stats() {
  std::lock_guard lock(mutex_);
  return std::exchange(stats_, Stats{});
}

}  // namespace weft::store
