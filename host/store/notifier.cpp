#include "store/pg_values.hpp"
#include "store/sql_errors.hpp"
#include "store/store.hpp"

#include <pqxx/pqxx>

#include <poll.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>

namespace weft::store {
namespace {

class Receiver final : public pqxx::notification_receiver {
 public:
  Receiver(pqxx::connection_base& connection, const std::string& channel, std::atomic<bool>& received)
      : pqxx::notification_receiver(connection, channel), received_(received) {}
  void operator()(const std::string&, int) override { received_ = true; }

 private:
  std::atomic<bool>& received_;
};

}  // namespace

struct Notifier::Impl {
  explicit Impl(const std::string& url) : connection(url) { disable_reactivation(connection); }
  pqxx::connection connection;
  std::vector<std::string> channels;
  std::unique_ptr<std::atomic<bool>[]> received;  // one flag per channel
  std::vector<std::unique_ptr<Receiver>> receivers;

  /// The channels notified since the last call, clearing their flags.
  std::vector<std::string> take_received() {
    std::vector<std::string> notified;
    for (std::size_t i = 0; i < channels.size(); ++i) {
      if (received[i].exchange(false)) notified.push_back(channels[i]);
    }
    return notified;
  }
};

Notifier::Notifier(const std::string& url, const std::vector<std::string>& channels) {
  try {
    impl_ = std::make_unique<Impl>(url);
    impl_->channels = channels;
    impl_->received = std::make_unique<std::atomic<bool>[]>(channels.size());
    for (std::size_t i = 0; i < channels.size(); ++i) {
      impl_->received[i] = false;
      impl_->receivers.push_back(std::make_unique<Receiver>(impl_->connection, channels[i], impl_->received[i]));
    }
  } catch (const std::exception& error) {
    throw StoreError("cannot listen for wake-ups: " + describe_sql_error(error));
  }
}

Notifier::~Notifier() = default;

Notifier::Wakeup Notifier::wait(std::chrono::milliseconds timeout, int wake_fd) {
  try {
    Wakeup wakeup;
    // Hints that arrived while the caller was busy are already queued on the socket.
    impl_->connection.get_notifs();
    wakeup.channels = impl_->take_received();
    if (!wakeup.channels.empty()) return wakeup;
    pollfd fds[2] = {{impl_->connection.sock(), POLLIN, 0}, {wake_fd, POLLIN, 0}};
    const int count = wake_fd >= 0 ? 2 : 1;
    const int ready = ::poll(fds, count, static_cast<int>(std::max<long long>(0, timeout.count())));
    if (ready > 0 && count == 2 && (fds[1].revents & POLLIN)) {
      std::uint64_t value = 0;
      [[maybe_unused]] const auto n = ::read(wake_fd, &value, sizeof value);
      wakeup.poked = true;
    }
    if (ready > 0 && (fds[0].revents & (POLLIN | POLLERR | POLLHUP))) impl_->connection.get_notifs();
    wakeup.channels = impl_->take_received();
    return wakeup;
  } catch (const std::exception& error) {
    throw StoreError("lost the wake-up connection: " + describe_sql_error(error));
  }
}

}  // namespace weft::store
