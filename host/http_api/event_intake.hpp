// Group commit for POST /v1/events: requests that arrive while a commit is under
// way are stored together in the next one (one statement, one commit, one
// NOTIFY), so fifty producers cost the database about what one batch does.
// Each request's events stay all or nothing, and each is answered only once
// its commit is durable.
#pragma once

#include "store/records.hpp"

#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace weft::http_api {

/// What a submission comes to: per event, whether it was new (false: a duplicate),
/// or why it could not be stored.
struct IntakeOutcome {
  std::vector<bool> stored;
  std::optional<std::string> error;
};

class EventIntake {
 public:
  using Done = std::function<void(IntakeOutcome)>;

  /// `max_events`: a group stops growing here (a request is never split).
  explicit EventIntake(std::string database_url, std::size_t max_events = 2000);
  /// Stores what is queued, answers it, then stops.
  ~EventIntake();
  EventIntake(const EventIntake&) = delete;
  EventIntake& operator=(const EventIntake&) = delete;

  /// Queues `events`; `done` runs on the intake's thread once they are committed (or failed).
  void submit(std::vector<store::EventRecord> events, Done done);

 private:
  struct Submission {
    std::vector<store::EventRecord> events;
    Done done;
  };
  void run();

  const std::string database_url_;
  const std::size_t max_events_;
  std::mutex mutex_;
  std::condition_variable queued_;
  std::vector<Submission> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace weft::http_api
