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
  Receiver(pqxx::connection_base& connection, const std::string& channel, std::atomic<int>& count)
      : pqxx::notification_receiver(connection, channel), count_(count) {}
  void operator()(const std::string&, int) override { ++count_; }

 private:
  std::atomic<int>& count_;
};

}  // namespace

struct Notifier::Impl {
  explicit Impl(const std::string& url) : connection(url) { disable_reactivation(connection); }
  pqxx::connection connection;
  std::atomic<int> received{0};
  std::vector<std::unique_ptr<Receiver>> receivers;
};

Notifier::Notifier(const std::string& url, const std::vector<std::string>& channels) {
  try {
    impl_ = std::make_unique<Impl>(url);
    for (const auto& channel : channels)
      impl_->receivers.push_back(std::make_unique<Receiver>(impl_->connection, channel, impl_->received));
  } catch (const std::exception& error) {
    throw StoreError("cannot listen for wake-ups: " + describe_sql_error(error));
  }
}

Notifier::~Notifier() = default;

bool Notifier::wait(std::chrono::milliseconds timeout, int wake_fd) {
  try {
    // Hints that arrived while the caller was busy are already queued on the socket.
    impl_->connection.get_notifs();
    if (impl_->received.exchange(0) > 0) return true;
    pollfd fds[2] = {{impl_->connection.sock(), POLLIN, 0}, {wake_fd, POLLIN, 0}};
    const int count = wake_fd >= 0 ? 2 : 1;
    const int ready = ::poll(fds, count, static_cast<int>(std::max<long long>(0, timeout.count())));
    if (ready > 0 && count == 2 && (fds[1].revents & POLLIN)) {
      std::uint64_t value = 0;
      [[maybe_unused]] const auto n = ::read(wake_fd, &value, sizeof value);
    }
    if (ready > 0 && (fds[0].revents & (POLLIN | POLLERR | POLLHUP))) impl_->connection.get_notifs();
    return impl_->received.exchange(0) > 0;
  } catch (const std::exception& error) {
    throw StoreError("lost the wake-up connection: " + describe_sql_error(error));
  }
}

}  // namespace weft::store
