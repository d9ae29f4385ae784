#include "store/pg_values.hpp"
#include "store/sql_errors.hpp"
#include "store/store.hpp"

#include <pqxx/pqxx>

#include <atomic>

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

bool Notifier::wait(std::chrono::milliseconds timeout) {
  try {
    // Hints that arrived while the caller was busy are already queued on the socket.
    if (impl_->connection.get_notifs() > 0 || impl_->received.exchange(0) > 0) {
      impl_->received = 0;
      return true;
    }
    const auto ms = std::max<long long>(0, timeout.count());
    impl_->connection.await_notification(static_cast<long>(ms / 1000),
                                         static_cast<long>((ms % 1000) * 1000));
    return impl_->received.exchange(0) > 0;
  } catch (const std::exception& error) {
    throw StoreError("lost the wake-up connection: " + describe_sql_error(error));
  }
}

}  // namespace weft::store
