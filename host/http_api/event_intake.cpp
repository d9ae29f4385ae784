#include "http_api/event_intake.hpp"

#include "common/thread_name.hpp"
#include "store/store.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <iterator>
#include <memory>
#include <variant>

namespace weft::http_api {
namespace {

/// Stores every submission's events in one statement. On failure each is
/// tried alone, so that one submission's problem is not answered to the others.
/// The events are moved into the group and back, never copied.
void store_group(std::unique_ptr<store::Store>& store, const std::string& url,
                 std::vector<std::vector<store::EventRecord>*> group, std::vector<IntakeOutcome>& outcomes) {
  const auto insert = [&](const std::vector<store::EventRecord>& events) -> std::variant<std::vector<bool>, std::string> {
    try {
      if (!store) store = std::make_unique<store::Store>(url);
      return store->insert_events(events);
    } catch (const std::exception& error) {
      store.reset();  // the connection may be broken: the next try makes a new one
      return std::string(error.what());
    }
  };
  if (group.size() == 1) {
    auto result = insert(*group[0]);
    if (auto* error = std::get_if<std::string>(&result)) outcomes[0].error = std::move(*error);
    else outcomes[0].stored = std::get<std::vector<bool>>(std::move(result));
    return;
  }
  std::vector<store::EventRecord> all;
  for (auto* events : group) std::move(events->begin(), events->end(), std::back_inserter(all));
  auto result = insert(all);
  std::size_t at = 0;
  for (std::size_t i = 0; i < group.size(); ++i) {
    const auto size = static_cast<std::ptrdiff_t>(group[i]->size());
    const auto first = all.begin() + static_cast<std::ptrdiff_t>(at);
    if (const auto* stored = std::get_if<std::vector<bool>>(&result)) {
      outcomes[i].stored.assign(stored->begin() + static_cast<std::ptrdiff_t>(at),
                                stored->begin() + static_cast<std::ptrdiff_t>(at) + size);
    } else {
      std::move(first, first + size, group[i]->begin());  // back to its submission, to be tried alone
      auto alone = insert(*group[i]);
      if (auto* error = std::get_if<std::string>(&alone)) outcomes[i].error = std::move(*error);
      else outcomes[i].stored = std::get<std::vector<bool>>(std::move(alone));
    }
    at += static_cast<std::size_t>(size);
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
