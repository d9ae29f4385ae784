// The checkpoint statement, composed from only the parts a checkpoint uses.
// PostgreSQL initialises every part of a statement on each execution, empty
// or not; one statement with all parts spent ~25% of a checkpoint's server
// time on attempts, compensations, signals and events it did not have
// (issue 6). Each shape is a prepared statement of its own.
#pragma once

#include <string>

namespace weft::store {

/// Which parts a checkpoint has, beside the lease check every shape starts with.
struct CheckpointShape {
  bool attempts = false;
  bool steps = false;
  bool compensations = false;
  bool consumed_signals = false;
  bool events = false;
  bool execution = false;  // finishes, parks or sets the status of the execution row

  static constexpr unsigned kCount = 64;
  unsigned index() const;
  static CheckpointShape from_index(unsigned index);
};

/// The statement of a shape. Parameters, numbered in this order and present
/// only for the parts of the shape: execution id, host id, fence; attempts,
/// steps, compensations (jsonb recordsets), consumed signal ids (bigint[]),
/// events (jsonb recordset); then for `execution`: finish status, output,
/// error, new status, park delay (ms), seen wake_seq. Its first column is 1
/// when the lease held (and everything was written), 0 otherwise.
struct CheckpointStatement {
  std::string name;
  std::string text;
};
const CheckpointStatement& checkpoint_statement(CheckpointShape shape);

}  // namespace weft::store
