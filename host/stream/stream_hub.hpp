// The live stream (/v1/stream): one thread per host reads the change log
// (written by triggers in the transactions that change executions, so changes
// made by any host reach every host's clients) while it has clients, every
// poll interval, and hands each client the changes its filter matches, as
// Server-Sent Events.
// A client that falls behind by more than its buffer is dropped (told so),
// never waited for. A client that reconnects with Last-Event-ID first gets
// what it missed, read from the database.
#pragma once

#include "http/message.hpp"
#include "store/records.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace weft::stream {

struct StreamFilter {
  std::optional<std::string> trace_id;
  std::optional<std::string> execution_id;
  std::optional<std::string> workflow;
  bool matches(const store::ChangeRecord& change) const;
};

struct StreamOptions {
  std::string database_url;
  std::size_t client_buffer_bytes = 1 << 20;  // queued for one client beyond this: dropped
  std::chrono::milliseconds heartbeat{15000};  // a comment line, so idle proxies keep the connection
  std::chrono::milliseconds gap_wait{1000};    // how long a missing seq may hold later ones back
  // How often the log is read while clients listen; what was committed meanwhile
  // reaches a client in one write. (Not NOTIFY: one per checkpoint serialised
  // the engine's commits.)
  std::chrono::milliseconds poll_interval{50};
  std::chrono::milliseconds keep{3600000};     // changes older than this are trimmed
};

class StreamHub {
 public:
  explicit StreamHub(StreamOptions options);
  ~StreamHub();
  StreamHub(const StreamHub&) = delete;
  StreamHub& operator=(const StreamHub&) = delete;

  /// A new client: live changes from now, or everything after `last_event_id` first.
  std::shared_ptr<http::EventStream> subscribe(StreamFilter filter, std::optional<std::int64_t> last_event_id);
  /// Ends every client's stream and the reader thread.
  void stop();
  /// Clients dropped for falling behind, since the hub started.
  std::uint64_t dropped() const;

  class Client;

 private:
  void run();

  StreamOptions options_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::shared_ptr<Client>> clients_;
  std::vector<std::shared_ptr<Client>> joining_;  // waiting for their catch-up from the database
  bool stopping_ = false;
  std::atomic<std::uint64_t> drops_{0};
  int wake_fd_ = -1;  // an eventfd: a joining client or stop() wakes the reader
  std::thread reader_;
};

/// The SSE text of one change: `id:`, `event: execution|step`, `data:` (JSON).
std::string sse_event(const store::ChangeRecord& change);

}  // namespace weft::stream
