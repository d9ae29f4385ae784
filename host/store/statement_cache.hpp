// Steps' own SQL, prepared on their connection once it has run more than once.
// PostgreSQL otherwise parses and plans a statement on every run: for order-3's
// one-row UPDATE, planning alone took longer than executing (issue 6, measured
// with pg_stat_statements). Like the statement caches of pgx or JDBC, only
// text that keeps coming back is prepared, and at most kMaxPrepared texts per
// connection, so SQL built from values cannot fill the server's memory.
#pragma once

#include <pqxx/connection_base>

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace weft::store {

class StatementCache {
 public:
  static constexpr int kPrepareAfter = 2;         // successful unprepared runs of the same text
  static constexpr std::size_t kMaxPrepared = 64;
  static constexpr std::size_t kMaxCounted = 1024;  // texts counted towards kPrepareAfter

  /// The prepared statement's name for `sql`, or nullptr: run it unprepared.
  const std::string* prepared(std::string_view sql) const;
  /// `sql` ran unprepared and succeeded; on its kPrepareAfter-th success it is
  /// registered on `connection` (libpqxx prepares it on the server at its next run).
  void succeeded(std::string_view sql, pqxx::connection_base& connection);
  /// The server refused `sql`'s prepared statement for good (its tables changed
  /// shape): it is forgotten now and deallocated by the next drop_forgotten().
  void forget(std::string_view sql);
  /// Deallocates forgotten statements. Outside any transaction: a failed
  /// transaction refuses DEALLOCATE.
  void drop_forgotten(pqxx::connection_base& connection);

 private:
  std::unordered_map<std::string, std::string> names_;  // sql -> statement name
  std::unordered_map<std::string, int> successes_;
  std::vector<std::string> forgotten_;
  unsigned next_name_ = 0;
};

/// The server's answer when a prepared statement's result columns changed
/// since it was prepared (a table altered under `SELECT *`).
bool is_stale_prepared_statement(const std::exception& error);

}  // namespace weft::store
