// Turns libpqxx exceptions into one-line messages a person can act on.
#pragma once

#include <exception>
#include <string>

namespace weft::store {

/// `message (SQLSTATE xxxxx)` for SQL errors; the connection problem for broken connections.
std::string describe_sql_error(const std::exception& error);

}  // namespace weft::store
