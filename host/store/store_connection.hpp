// The pieces of Store shared by its source files: the connection a Store
// holds, and how libpqxx errors become StoreError. Internal to store/.
#pragma once

#include "store/raw_connection.hpp"
#include "store/sql_errors.hpp"
#include "store/statement_cache.hpp"
#include "store/statements.hpp"
#include "store/store.hpp"

#include <string>

namespace weft::store {

struct Store::Connection {
  /// Connects and registers every prepared statement of statements.hpp (libpqxx
  /// prepares each on the server at its first use).
  explicit Connection(const std::string& url);
  RawConnection db;
  StatementCache statements;  // what this connection's pipelines prepared
};

inline std::string name_of(const sql::Statement& statement) { return std::string(statement.name); }

/// An execution summary from the first eight columns: id workflow version
/// status key trace_id created_at finished_at (times in epoch milliseconds).
ExecutionSummary read_summary(const pqxx::row& row);

/// A UUID naming this process in weft.hosts.process and weft.served_definitions:
/// the same for every host id the process registers under.
const std::string& this_process();

/// Runs `body` and turns libpqxx exceptions into StoreError with a clear message.
template <typename Body>
auto guarded(const char* what, Body&& body) -> decltype(body()) {
  try {
    return body();
  } catch (const StoreError&) {
    throw;
  } catch (const std::exception& error) {
    throw StoreError(std::string(what) + ": " + describe_sql_error(error));
  }
}

}  // namespace weft::store
