// The checkpoint statement: the checkpoints of any number of executions in
// one statement (one round trip, for group commit and for the first
// checkpoints a routing transaction writes), composed from only the parts the
// batch uses. PostgreSQL initialises every part of a statement on each
// execution, empty or not: one statement with all parts spent ~25% of a
// checkpoint's server time on parts it did not have (issue 6). Each shape is
// a prepared statement of its own.
#pragma once

#include <string>

namespace weft::store {

/// Which parts a batch of checkpoints has, beside the leases every shape starts with.
struct CheckpointShape {
  bool attempts = false;
  bool steps = false;
  bool compensations = false;
  bool consumed_signals = false;
  bool events = false;
  bool execution = false;  // finishes, parks or sets the status of execution rows

  static constexpr unsigned kCount = 64;
  unsigned index() const;
  static CheckpointShape from_index(unsigned index);
};

/// The statement of a shape. Parameters, numbered in this order and present
/// only for the parts of the shape, are jsonb recordsets whose rows each name
/// their `execution_id`: leases (with `host_id`, `fence`; always present),
/// attempts, steps, compensations; then consumed signal ids (bigint[]);
/// events; execution updates (`finish_status`, `finish_output`,
/// `finish_error`, `status`, `park_ms`, `seen_wake_seq`).
/// It returns the ids of the executions whose lease held: only their rows are
/// written.
struct CheckpointStatement {
  std::string name;
  std::string text;
};
/// What the statement does when a lease does not hold.
enum class WhenFencedOut {
  Skip,   // writes nothing for that execution and leaves it out of the ids
  Raise,  // fails with SQLSTATE WF001 (kFencedOutState) unless every lease
          // holds, so that a COMMIT sent with it in one pipeline finds the
          // transaction aborted. Returns one row.
};
inline constexpr const char* kFencedOutState = "WF001";
const CheckpointStatement& checkpoint_statement(CheckpointShape shape, WhenFencedOut when = WhenFencedOut::Skip);

}  // namespace weft::store
