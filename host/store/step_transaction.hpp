// The transaction a `transaction:` step runs its SQL in. The
// host writes the step's checkpoint inside it before COMMIT, so the step's
// effects and the record that it ran commit together or not at all.
//
// Round trips (issue 6): BEGIN is sent with the step's first statement, and
// the checkpoint with the COMMIT (libpq pipelines, store/pipeline.hpp). A
// checkpoint whose lease no longer holds fails inside that pipeline, so the
// COMMIT finds the transaction aborted and nothing of the step is applied.
#pragma once

#include "common/json.hpp"
#include "common/outcome.hpp"
#include "store/records.hpp"
#include "store/store.hpp"

#include <chrono>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

namespace weft::store {

enum class IsolationLevel : std::uint8_t { ReadCommitted, RepeatableRead, Serializable };

/// A SQL failure inside a step, classified by SQLSTATE.
class SqlError : public std::runtime_error {
 public:
  explicit SqlError(StepError error) : std::runtime_error(error.message), error_(std::move(error)) {}
  const StepError& error() const { return error_; }

 private:
  StepError error_;
};

/// Classifies any exception thrown by libpqxx (or a broken connection) as a step error.
StepError classify_sql_error(const std::exception& error);

class StepTransaction {
 public:
  /// Opens on `store`'s connection; BEGIN goes out with the first statement.
  /// Statements slower than `slow_query` are logged (SQL text only, never
  /// parameter values) and listed in stats().
  StepTransaction(Store& store, IsolationLevel isolation,
                  std::optional<std::chrono::milliseconds> statement_timeout,
                  std::chrono::milliseconds slow_query = std::chrono::milliseconds(200));
  ~StepTransaction();  // rolls back unless committed
  StepTransaction(const StepTransaction&) = delete;
  StepTransaction& operator=(const StepTransaction&) = delete;

  /// Runs `sql` with `$1..$n` bound to `params`; rows as JSON objects. Throws SqlError.
  Json query(std::string_view sql, const std::vector<Json>& params);
  /// Runs `sql`; the number of rows it affected. Throws SqlError.
  std::int64_t exec(std::string_view sql, const std::vector<Json>& params);

  /// SAVEPOINT / RELEASE / ROLLBACK TO under generated names. Throw SqlError.
  std::string begin_savepoint();
  void release_savepoint(const std::string& name);
  void rollback_to_savepoint(const std::string& name);

  /// Releases a named lock as part of this transaction (sent with the
  /// commit): held until its commit.
  void unlock(const std::string& key, std::int64_t token);

  enum class Committed : std::uint8_t { Yes, FencedOut };
  /// Writes the step's checkpoint and commits, in one round trip. FencedOut:
  /// the lease no longer held and nothing was applied. Throws SqlError when
  /// the server refused (everything rolled back: a failed attempt); with code
  /// "connection" the outcome is in doubt.
  Committed commit(const Lease& lease, const Checkpoint& checkpoint);
  /// Commits without a checkpoint. Throws SqlError.
  void commit();

  /// How the connection was obtained (the pool's wait and usage), reported by stats().
  void describe_connection(Json info);
  /// What the step's SQL did: { queries, query_ms, outcome, slow: [{sql, ms}], pool }.
  Json stats(std::string_view outcome) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace weft::store
