#include "stream/stream_hub.hpp"

#include "common/thread_name.hpp"
#include "store/store.hpp"
#include "views/views.hpp"

#include <spdlog/spdlog.h>

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <unordered_map>

namespace weft::stream {

bool StreamFilter::matches(const store::ChangeRecord& change) const {
  return (!trace_id || *trace_id == change.trace_id) && (!execution_id || *execution_id == change.execution_id) &&
         (!workflow || *workflow == change.workflow);
}

std::string sse_event(const store::ChangeRecord& change) {
  JsonObject data{{"seq", change.seq},
                  {"at", views::format_time(change.at)},
                  {"execution_id", change.execution_id},
                  {"workflow", change.workflow},
                  {"trace_id", change.trace_id},
                  {"status", change.status}};
  if (!change.step.empty()) data["step"] = change.step;
  return "id: " + std::to_string(change.seq) + "\nevent: " + (change.step.empty() ? "execution" : "step") +
         "\ndata: " + to_json_text(data) + "\n\n";
}

/// One client's queue. The hub appends; the client's connection takes.
class StreamHub::Client final : public http::EventStream {
 public:
  Client(StreamFilter filter, std::size_t capacity, std::optional<std::int64_t> resume_after,
         std::atomic<std::uint64_t>& drops)
      : filter_(std::move(filter)), capacity_(capacity), resume_after_(resume_after), drops_(drops) {}

  void start(std::function<void()> wake) override {
    std::unique_lock lock(mutex_);
    wake_ = std::move(wake);
    const bool ready = !queued_.empty() || closing_;
    lock.unlock();
    if (ready) notify();
  }

  std::optional<std::string> take() override {
    std::lock_guard lock(mutex_);
    if (!queued_.empty()) return std::exchange(queued_, std::string());
    if (closing_) return std::nullopt;
    return std::string();
  }

  void stop() override {
    std::lock_guard lock(mutex_);
    stopped_ = true;
    wake_ = nullptr;
  }

  /// Queues `text` (sent at the next flush); over the buffer the client is
  /// dropped (told why). False once it is gone.
  bool offer(const std::string& text) {
    std::lock_guard lock(mutex_);
    if (stopped_ || closing_) return false;
    if (queued_.size() + text.size() > capacity_) {
      queued_ = "event: dropped\ndata: {\"reason\":\"the client fell too far behind; reconnect with Last-Event-ID\"}\n\n";
      closing_ = true;
      ++drops_;
    } else {
      queued_ += text;
    }
    unflushed_ = true;
    return true;
  }

  /// Wakes the connection once for everything offered since the last flush:
  /// one write per client per cycle, however many changes the cycle carried.
  void flush() {
    {
      std::lock_guard lock(mutex_);
      if (!std::exchange(unflushed_, false)) return;
    }
    notify();
  }

  void close() {
    {
      std::lock_guard lock(mutex_);
      closing_ = true;
    }
    notify();
  }

  bool gone() {
    std::lock_guard lock(mutex_);
    return stopped_ || closing_;
  }

  const StreamFilter& filter() const { return filter_; }
  std::optional<std::int64_t> resume_after() const { return resume_after_; }

 private:
  void notify() {
    std::function<void()> wake;
    {
      std::lock_guard lock(mutex_);
      wake = wake_;
    }
    if (wake) wake();
  }

  const StreamFilter filter_;
  const std::size_t capacity_;
  const std::optional<std::int64_t> resume_after_;
  std::atomic<std::uint64_t>& drops_;
  std::mutex mutex_;
  std::string queued_;
  bool unflushed_ = false;
  bool closing_ = false;
  bool stopped_ = false;
  std::function<void()> wake_;
};

namespace {

/// The live clients by the most selective part of their filter, so that a
/// change is matched against the few clients that may want it, not all of
/// them: 1,000 clients each following one trace cost a change one lookup.
class Subscriptions {
 public:
  explicit Subscriptions(const std::vector<std::shared_ptr<StreamHub::Client>>& clients) {
    for (const auto& client : clients) {
      const auto& filter = client->filter();
      if (filter.execution_id) by_execution_.emplace(*filter.execution_id, client.get());
      else if (filter.trace_id) by_trace_.emplace(*filter.trace_id, client.get());
      else if (filter.workflow) by_workflow_.emplace(*filter.workflow, client.get());
      else everyone_.push_back(client.get());
    }
  }

  /// Offers `change` to every client whose filter matches it (its text made once).
  void deliver(const store::ChangeRecord& change) const {
    std::string text;
    const auto offer = [&](StreamHub::Client* client) {
      if (!client->filter().matches(change)) return;
      if (text.empty()) text = sse_event(change);
      client->offer(text);
    };
    for (auto* client : everyone_) offer(client);
    for (const auto* index : {&by_execution_, &by_trace_, &by_workflow_}) {
      const std::string& key = index == &by_execution_ ? change.execution_id
                               : index == &by_trace_   ? change.trace_id
                                                       : change.workflow;
      const auto [first, last] = index->equal_range(key);
      for (auto it = first; it != last; ++it) offer(it->second);
    }
  }

 private:
  std::unordered_multimap<std::string, StreamHub::Client*> by_execution_, by_trace_, by_workflow_;
  std::vector<StreamHub::Client*> everyone_;
};

int make_eventfd() { return ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK); }

/// Sleeps until `timeout` passes or `fd` (an eventfd) is poked; consumes the poke.
void wait_for_poke(int fd, std::chrono::milliseconds timeout) {
  pollfd waiting{fd, POLLIN, 0};
  if (::poll(&waiting, 1, static_cast<int>(timeout.count())) > 0) {
    std::uint64_t value = 0;
    [[maybe_unused]] const auto n = ::read(fd, &value, sizeof value);
  }
}

void poke(int fd) {
  const std::uint64_t one = 1;
  [[maybe_unused]] const auto n = ::write(fd, &one, sizeof one);
}

}  // namespace

StreamHub::StreamHub(StreamOptions options) : options_(std::move(options)) {
  wake_fd_ = make_eventfd();
  reader_ = std::thread([this] { run(); });
}

StreamHub::~StreamHub() {
  stop();
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

std::shared_ptr<http::EventStream> StreamHub::subscribe(StreamFilter filter,
                                                        std::optional<std::int64_t> last_event_id) {
  auto client = std::make_shared<Client>(std::move(filter), options_.client_buffer_bytes, last_event_id, drops_);
  client->offer("retry: 2000\n: connected\n\n");
  {
    std::lock_guard lock(mutex_);
    if (stopping_) {
      client->close();
      return client;
    }
    joining_.push_back(client);
  }
  poke(wake_fd_);
  return client;
}

void StreamHub::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ && !reader_.joinable()) return;
    stopping_ = true;
  }
  poke(wake_fd_);
  if (reader_.joinable()) reader_.join();
  std::lock_guard lock(mutex_);
  for (auto& client : clients_) client->close();
  for (auto& client : joining_) client->close();
  clients_.clear();
  joining_.clear();
}

std::uint64_t StreamHub::dropped() const { return drops_.load(); }

void StreamHub::run() {
  name_this_thread("weft-stream");
  using Clock = std::chrono::steady_clock;
  std::unique_ptr<store::Store> store;
  std::int64_t position = -1;  // the last seq handed to live clients
  std::optional<Clock::time_point> gap_since;
  auto last_heartbeat = Clock::now();
  auto last_trim = Clock::time_point{};

  const auto stopping = [&] {
    std::lock_guard lock(mutex_);
    return stopping_;
  };

  while (!stopping()) {
    try {
      if (!store) {
        store = std::make_unique<store::Store>(options_.database_url);
        // After a reconnect, live clients go on from where they were.
        if (position < 0) position = store->change_bounds().second;
      }

      // Joining clients: what they missed first (from the database), then live.
      std::vector<std::shared_ptr<Client>> joining;
      {
        std::lock_guard lock(mutex_);
        joining.swap(joining_);
      }
      for (const auto& client : joining) {
        if (const auto after = client->resume_after(); after && *after < position) {
          const auto [oldest, newest] = store->change_bounds();
          if (oldest > *after + 1 || (oldest == 0 && newest == 0))
            client->offer("event: gap\ndata: {\"reason\":\"changes after this id are no longer kept\",\"oldest\":" +
                          std::to_string(oldest) + "}\n\n");
          for (std::int64_t from = *after; from < position;) {
            const auto batch = store->changes_after(from, 1000);
            if (batch.empty()) break;
            for (const auto& change : batch) {
              if (change.seq > position) break;
              if (client->filter().matches(change)) client->offer(sse_event(change));
              from = change.seq;
            }
            if (batch.back().seq > position || batch.size() < 1000) break;
          }
        }
        client->flush();
        std::lock_guard lock(mutex_);
        clients_.push_back(client);
      }

      std::vector<std::shared_ptr<Client>> live;
      {
        std::lock_guard lock(mutex_);
        std::erase_if(clients_, [](const auto& client) { return client->gone(); });
        live = clients_;
      }

      if (!live.empty()) {
        std::optional<Subscriptions> subscriptions;  // indexed once a cycle brings changes
        // In seq order; a missing seq (a transaction not yet committed) holds the
        // later ones back for gap_wait, so a resumed client misses nothing.
        for (bool more = true; more;) {
          const auto batch = store->changes_after(position, 1000);
          more = batch.size() == 1000;
          for (const auto& change : batch) {
            if (change.seq != position + 1) {
              if (!gap_since) gap_since = Clock::now();
              if (Clock::now() - *gap_since < options_.gap_wait) {
                more = false;
                break;
              }
            }
            gap_since.reset();
            if (!subscriptions) subscriptions.emplace(live);
            subscriptions->deliver(change);
            position = change.seq;
          }
          // Handed over per batch: a long cycle (a backlog after a stall) must
          // not count against a client's buffer before it had a chance to send.
          for (const auto& client : live) client->flush();
        }
        if (Clock::now() - last_heartbeat >= options_.heartbeat) {
          for (const auto& client : live) client->offer(": keep-alive\n\n");
          last_heartbeat = Clock::now();
        }
        for (const auto& client : live) client->flush();
      } else {
        // Nobody listens: keep the position current without reading rows.
        position = std::max(position, store->change_bounds().second);
        gap_since.reset();
      }
      if (Clock::now() - last_trim >= std::chrono::minutes(1)) {
        while (store->trim_changes(options_.keep, 1000) == 1000 && !stopping()) {
        }
        last_trim = Clock::now();
      }
      // While clients listen, the log is read every poll interval: what was
      // committed meanwhile (by any host) goes out together, one write per
      // client. A new client or stop() wakes the thread at once.
      wait_for_poke(wake_fd_, live.empty() ? std::chrono::milliseconds(1000) : options_.poll_interval);
    } catch (const std::exception& error) {
      spdlog::warn("stream: {}; reconnecting in 1s", error.what());
      store.reset();
      std::this_thread::sleep_for(std::chrono::seconds(1));
    }
  }
}

}  // namespace weft::stream
