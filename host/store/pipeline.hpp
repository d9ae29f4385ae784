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

using Parameters = std::vector<std::optional<std::string>>;  // text; nullopt is SQL NULL

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

class Pipeline {
 public:
  explicit Pipeline(PGconn* connection) : connection_(connection) {}

  /// An unnamed statement; its parameters are typed by the server.
  void query(std::string sql, Parameters parameters = {});
  /// Prepares `sql` as `name` on this connection (it outlives the transaction).
  void prepare(std::string name, std::string sql);
  void prepared(std::string name, Parameters parameters);
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
  };
  PGconn* connection_;
  std::vector<Queued> queued_;
};

}  // namespace weft::store
