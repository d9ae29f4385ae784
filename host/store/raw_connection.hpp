// A libpqxx connection that also hands out its libpq handle, for what libpqxx
// 6.4 cannot do: pipeline mode (store/pipeline.hpp). libpqxx's connection
// policies are its public extension point; this one remembers the handle it
// opened. Internal to store/.
#pragma once

#include <pqxx/connection>

#include <libpq-fe.h>

#include <string>

namespace weft::store {

class RawConnection : public pqxx::connection_base {
 public:
  explicit RawConnection(const std::string& options);
  ~RawConnection() noexcept;
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  /// The open libpq connection; null once closed. Use it only while no
  /// libpqxx transaction is running a statement, and leave it idle.
  PGconn* handle() const noexcept { return policy_.current(); }

 private:
  class Policy : public pqxx::connect_direct {
   public:
    explicit Policy(const std::string& options) : pqxx::connect_direct(options) {}
    handle do_startconnect(handle original) override { return handle_ = connect_direct::do_startconnect(original); }
    handle do_completeconnect(handle original) override {
      return handle_ = connect_direct::do_completeconnect(original);
    }
    handle do_dropconnect(handle original) noexcept override {
      handle_ = nullptr;
      return connect_direct::do_dropconnect(original);
    }
    handle do_disconnect(handle original) noexcept override {
      handle_ = nullptr;
      return connect_direct::do_disconnect(original);
    }
    PGconn* current() const noexcept { return handle_; }

   private:
    PGconn* handle_ = nullptr;
  };

  // Constructed before the base class uses it (the order libpqxx's own connection types use).
  std::string options_;
  Policy policy_;
};

}  // namespace weft::store
