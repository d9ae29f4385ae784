#include "http_api/event_intake.hpp"

#include "common/thread_name.hpp"
#include "store/store.hpp"

#include <spdlog/spdlog.h>

#include <memory>

namespace weft::http_api {
namespace {

/// Stores `group` in one statement; on failure, each submission alone, so that
/// one submission's problem is not answered to the others.
void store_group(std::unique_ptr<store::Store>& store, const std::string& url,
                 std::vector<std::vector<store::EventRecord>*> group, std::vector<IntakeOutcome>& outcomes) {
  const auto attempt = [&](const std::vector<std::size_t>& members) -> std::optional<std::string> {
    std::vector<store::EventRecord> events;
    for (const auto index : members) events.insert(events.end(), group[index]->begin(), group[index]->end());
    try {
      if (!store) store = std::make_unique<store::Store>(url);
      const auto stored = store->insert_events(events);
      std::size_t at = 0;
      for (const auto index : members) {
        const auto size = group[index]->size();
        outcomes[index].stored.assign(stored.begin() + static_cast<std::ptrdiff_t>(at),
                                      stored.begin() + static_cast<std::ptrdiff_t>(at + size));
        at += size;
      }
      return std::nullopt;
    } catch (const std::exception& error) {
      store.reset();  // the connection may be broken: the next try makes a new one
      return std::string(error.what());
    }
  };
  std::vector<std::size_t> everyone(group.size());
  for (std::size_t i = 0; i < group.size(); ++i) everyone[i] = i;
  const auto failure = attempt(everyone);
  if (!failure) return;
  if (group.size() == 1) {
    outcomes[0].error = *failure;
    return;
  }
  for (std::size_t i = 0; i < group.size(); ++i) {
    if (const auto alone = attempt({i})) outcomes[i].error = *alone;
  }
}

}  // namespace

EventIntake::EventIntake(std::string database_url, std::size_t max_events)
    : database_url_(std::move(database_url)), max_events_(max_events), thread_([this] { run(); }) {}

EventIntake::~EventIntake() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  queued_.notify_all();
  thread_.join();
}

void EventIntake::submit(std::vector<store::EventRecord> events, Done done) {
  {
    std::lock_guard lock(mutex_);
    queue_.push_back({std::move(events), std::move(done)});
  }
  queued_.notify_one();
}

void EventIntake::run() {
  name_this_thread("weft-intake");
  std::unique_ptr<store::Store> store;
  for (;;) {
    std::vector<Submission> taken;
    {
      std::unique_lock lock(mutex_);
      queued_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and everything was answered
      // Whole submissions, up to max_events (at least one, however big).
      std::size_t events = 0;
      std::size_t count = 0;
      while (count < queue_.size() && (count == 0 || events + queue_[count].events.size() <= max_events_))
        events += queue_[count++].events.size();
      taken.assign(std::make_move_iterator(queue_.begin()),
                   std::make_move_iterator(queue_.begin() + static_cast<std::ptrdiff_t>(count)));
      queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(count));
    }
    std::vector<std::vector<store::EventRecord>*> group;
    for (auto& submission : taken) group.push_back(&submission.events);
    std::vector<IntakeOutcome> outcomes(taken.size());
    store_group(store, database_url_, group, outcomes);
    for (std::size_t i = 0; i < taken.size(); ++i) {
      if (outcomes[i].error) spdlog::warn("http: storing events: {}", *outcomes[i].error);
      taken[i].done(std::move(outcomes[i]));
    }
  }
}

}  // namespace weft::http_api
