// The checkpoint statement, run in whatever transaction the caller has open:
// autocommit for ordinary steps, the step's own for transactional ones.
#pragma once

#include "store/checkpoint_sql.hpp"
#include "store/records.hpp"

#include <pqxx/transaction_base>

#include <vector>

namespace weft::store {

/// False when the lease no longer holds (nothing is written).
bool write_checkpoint(pqxx::transaction_base& txn, const Lease& lease, const Checkpoint& checkpoint);

struct CheckpointWrite {
  const Lease* lease = nullptr;
  const Checkpoint* checkpoint = nullptr;
};
/// Several executions' checkpoints (at most one each) in one statement; for
/// each, whether its lease held (only those are written).
std::vector<bool> write_checkpoints(pqxx::transaction_base& txn, const std::vector<CheckpointWrite>& writes);

/// The statement that writes `writes`, and its parameters (text), for a caller
/// that sends it itself (a step transaction's pipeline).
struct CheckpointCall {
  const CheckpointStatement* statement;
  std::vector<std::string> parameters;
};
CheckpointCall checkpoint_call(const std::vector<CheckpointWrite>& writes, WhenFencedOut when);

}  // namespace weft::store
