#include "http/message.hpp"

namespace weft::http {

const std::string* Request::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (key == name) return &value;
  }
  return nullptr;
}

std::optional<std::string> Request::query_value(std::string_view name) const {
  for (const auto& [key, value] : query) {
    if (key == name) return value;
  }
  return std::nullopt;
}

void Deferred::complete(Response response) {
  std::function<void(Response)> deliver;
  {
    std::lock_guard lock(mutex_);
    if (!deliver_) {
      ready_ = std::move(response);
      return;
    }
    deliver = std::exchange(deliver_, nullptr);
  }
  deliver(std::move(response));
}

void Deferred::on_complete(std::function<void(Response)> deliver) {
  std::optional<Response> ready;
  {
    std::lock_guard lock(mutex_);
    if (!ready_) {
      deliver_ = std::move(deliver);
      return;
    }
    ready = std::exchange(ready_, std::nullopt);
  }
  deliver(std::move(*ready));
}

}  // namespace weft::http
