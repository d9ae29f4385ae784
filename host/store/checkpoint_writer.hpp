// The checkpoint statement, run in whatever transaction the caller has open:
// autocommit for ordinary steps, the step's own for transactional ones.
#pragma once

#include "store/records.hpp"

#include <pqxx/transaction_base>

namespace weft::store {

/// False when the lease no longer holds (nothing is written).
bool write_checkpoint(pqxx::transaction_base& txn, const Lease& lease, const Checkpoint& checkpoint);

}  // namespace weft::store
