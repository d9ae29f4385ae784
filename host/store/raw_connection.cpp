#include "store/raw_connection.hpp"

namespace weft::store {

RawConnection::RawConnection(const std::string& options)
    : pqxx::connection_base(policy_), options_(options), policy_(options_) {
  init();
}

RawConnection::~RawConnection() noexcept { close(); }

}  // namespace weft::store
