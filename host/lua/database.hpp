// What a transactional step's `ctx.db` talks to. The
// engine implements it over the step's own transaction; the Lua layer only
// sees JSON values, never libpqxx.
#pragma once

#include "common/json.hpp"
#include "common/outcome.hpp"

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace weft::lua {

/// A failed statement, already classified (code, message, retryable, SQLSTATE in details).
class DatabaseError : public std::runtime_error {
 public:
  explicit DatabaseError(StepError error) : std::runtime_error(error.message), error_(std::move(error)) {}
  const StepError& error() const { return error_; }

 private:
  StepError error_;
};

class Database {
 public:
  virtual ~Database() = default;
  /// Rows as a JSON array of objects (column name -> value). Throws DatabaseError.
  virtual Json query(std::string_view sql, const std::vector<Json>& params) = 0;
  /// The number of rows the statement affected. Throws DatabaseError.
  virtual std::int64_t exec(std::string_view sql, const std::vector<Json>& params) = 0;

  /// Savepoints for ctx.db:savepoint(fn): begin returns a name for the other two. Throw DatabaseError.
  virtual std::string begin_savepoint() = 0;
  virtual void release_savepoint(const std::string& name) = 0;
  virtual void rollback_to_savepoint(const std::string& name) = 0;
};

}  // namespace weft::lua
