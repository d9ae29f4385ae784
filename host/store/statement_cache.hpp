// Statements prepared on one connection for step transactions: the steps' own
// SQL once it has run more than once, and the host's checkpoint statements.
// PostgreSQL otherwise parses and plans a statement on every run: for order-3's
// one-row UPDATE, planning alone took longer than executing (issue 6, measured
// with pg_stat_statements). Like the statement caches of pgx or JDBC, only
// step SQL that keeps coming back is prepared, and at most kMaxPrepared texts
// per connection, so SQL built from values cannot fill the server's memory.
// The owner prepares (in its next pipeline) and reports what the server took.
#pragma once

#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace weft::store {

class StatementCache {
 public:
  static constexpr int kPrepareAfter = 2;         // successful unprepared runs of the same text
  static constexpr std::size_t kMaxPrepared = 64;
  static constexpr std::size_t kMaxCounted = 1024;  // texts counted towards kPrepareAfter

  /// The name step SQL `sql` is prepared under on the server, or nullptr.
  const std::string* prepared(std::string_view sql) const;
  /// A fresh name when `sql` has earned a prepared statement (and there is room).
  std::optional<std::string> name_to_prepare(std::string_view sql);
  /// The server prepared `sql` as `name`.
  void add(std::string_view sql, std::string name);
  /// `sql` ran unprepared and succeeded.
  void succeeded(std::string_view sql);
  /// The server refused `sql`'s prepared statement for good (its tables
  /// changed shape): forgotten now, deallocated through take_forgotten().
  void forget(std::string_view sql);
  /// Names to DEALLOCATE (outside a failed transaction, which refuses it).
  std::vector<std::string> take_forgotten();

  /// The host's own statements (checkpoint shapes), prepared on first use.
  bool has_host_statement(const std::string& name) const { return host_statements_.count(name) > 0; }
  void add_host_statement(const std::string& name) { host_statements_.insert(name); }

 private:
  // Looked up by the step's string_view on every statement: no copy of the SQL.
  struct TextHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view text) const noexcept { return std::hash<std::string_view>{}(text); }
  };
  template <typename Value>
  using ByText = std::unordered_map<std::string, Value, TextHash, std::equal_to<>>;
  ByText<std::string> names_;  // sql -> statement name
  ByText<int> successes_;
  std::vector<std::string> forgotten_;
  std::unordered_set<std::string> host_statements_;
  unsigned next_name_ = 0;
};

/// The server's answer when a prepared statement's result columns changed
/// since it was prepared (a table altered under `SELECT *`).
bool is_stale_prepared_statement(const std::exception& error);

}  // namespace weft::store
