// Statements sent together and answered together: one round trip for all of
// them (libpq pipeline mode, PostgreSQL 14+), which libpqxx 6.4 cannot do. A
// transactional step's BEGIN travels with its first statement, and its
// checkpoint with its COMMIT (issue 6). Internal to store/.
#pragma once

#include <libpq-fe.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace weft::store {

class StatementCache;

using Parameters = std::vector<std::optional<std::string>>;  // text; nullopt is SQL NULL
/// The protocol's limit on parameters per statement.
inline constexpr std::size_t kMaxParameters = 65535;

struct ResultDeleter {
  void operator()(PGresult* result) const noexcept { PQclear(result); }
};
using ResultPtr = std::unique_ptr<PGresult, ResultDeleter>;

/// One statement's answer.
struct Answer {
  ResultPtr result;  // null when skipped: an earlier statement of the pipeline failed
  bool ok() const;
  bool skipped() const { return !result; }
  /// SQLSTATE of a failed statement ("" when it succeeded or was skipped).
  std::string sqlstate() const;
  /// Throws the failure as the libpqxx exception classify_sql_error knows,
  /// naming `query` (the statement's SQL, as the step wrote it).
  [[noreturn]] void raise(const std::string& query) const;
};

/// A field of an answer's rows as text; nullptr for SQL NULL.
inline const char* field_text(const PGresult* result, int row, int column) {
  return PQgetisnull(result, row, column) != 0 ? nullptr : PQgetvalue(result, row, column);
}

/// A transaction that pipelines open and end: rolled back when destroyed
/// while still open (as libpqxx transactions are).
class TransactionGuard {
 public:
  explicit TransactionGuard(PGconn* connection) : connection_(connection) {}
  ~TransactionGuard();
  TransactionGuard(const TransactionGuard&) = delete;
  TransactionGuard& operator=(const TransactionGuard&) = delete;
  void opened() { open_ = true; }
  /// Committed, or rolled back by the server (a refused COMMIT).
  void ended() { open_ = false; }

 private:
  PGconn* connection_;
  bool open_ = false;
};

class Pipeline {
 public:
  explicit Pipeline(PGconn* connection) : connection_(connection) {}

  /// An unnamed statement; its parameters are typed by the server.
  void query(std::string sql, Parameters parameters = {});
  /// Prepares `sql` as `name` on this connection (it outlives the transaction).
  void prepare(std::string name, std::string sql);
  void prepared(std::string name, Parameters parameters);
  /// One of the host's own statements: prepared first if `statements` says
  /// this connection does not have it yet. Gives one answer either way (a
  /// failed prepare's, if it failed).
  void host_statement(StatementCache& statements, const std::string& name, const std::string& sql,
                      Parameters parameters);
  bool empty() const { return queued_.empty(); }

  /// Sends everything with one Sync and reads every answer, in order, leaving
  /// the connection idle. A failed statement is an answer (those after it are
  /// skipped); a lost connection throws pqxx::broken_connection.
  std::vector<Answer> run();

 private:
  enum class Kind { Query, Prepare, Prepared };
  struct Queued {
    Kind kind;
    std::string name;  // Prepare, Prepared
    std::string sql;   // Query, Prepare
    Parameters parameters;
    StatementCache* remember = nullptr;  // a host statement's prepare: no answer of its own
  };
  PGconn* connection_;
  std::vector<Queued> queued_;
};

}  // namespace weft::store
