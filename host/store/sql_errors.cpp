#include "store/sql_errors.hpp"

#include <pqxx/except>

namespace weft::store {

std::string describe_sql_error(const std::exception& error) {
  std::string message = error.what();
  // libpq messages end with newlines and sometimes carry a "LINE n:" excerpt.
  if (const auto cut = message.find('\n'); cut != std::string::npos) message.resize(cut);
  if (message.rfind("ERROR:  ", 0) == 0) message.erase(0, 8);
  if (const auto* sql = dynamic_cast<const pqxx::sql_error*>(&error)) {
    if (!sql->sqlstate().empty()) message += " (SQLSTATE " + sql->sqlstate() + ")";
  } else if (dynamic_cast<const pqxx::broken_connection*>(&error) != nullptr) {
    message = "lost the database connection: " + message;
  }
  return message;
}

}  // namespace weft::store
