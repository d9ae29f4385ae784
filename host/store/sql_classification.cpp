// SQLSTATE classes (PostgreSQL Appendix A) mapped to step error codes (SPEC section 4).
#include "store/step_transaction.hpp"
#include "store/sql_errors.hpp"

#include <pqxx/except>

namespace weft::store {
namespace {

struct Class {
  const char* code;
  bool retryable;
  const char* advice;
};

Class class_of(const std::string& state) {
  if (state.rfind("23", 0) == 0) return {"constraint_violation", false, "a constraint rejected the change"};
  if (state == "40P01") return {"deadlock", true, "deadlock detected; the step is retried"};
  if (state == "40001") return {"serialization_failure", true, "concurrent update; the step is retried"};
  if (state.rfind("08", 0) == 0 || state == "57P01" || state == "57P02" || state == "57P03")
    return {"connection", true, "the database connection failed"};
  if (state == "57014" || state == "55P03") return {"timeout", true, "the statement ran out of time"};
  if (state == "42501") return {"permission", false, "the database user lacks a privilege"};
  if (state.rfind("42", 0) == 0) return {"query", false, "the SQL is invalid"};
  return {"unknown", true, ""};
}

// libpqxx 6.4 does not expose the server's error fields (constraint, column,
// table), so they are read from the message, whose wording PostgreSQL keeps stable.
void add_named(JsonObject& details, const std::string& message, std::string_view word, const char* field) {
  const std::string marker = std::string(word) + " \"";
  const auto at = message.find(marker);
  if (at == std::string::npos) return;
  const auto begin = at + marker.size();
  const auto end = message.find('"', begin);
  if (end != std::string::npos) details[field] = message.substr(begin, end - begin);
}

}  // namespace

StepError classify_sql_error(const std::exception& error) {
  StepError result;
  result.message = describe_sql_error(error);
  JsonObject details;
  if (const auto* sql = dynamic_cast<const pqxx::sql_error*>(&error)) {
    const auto state = sql->sqlstate();
    const auto kind = class_of(state);
    result.code = kind.code;
    result.retryable = kind.retryable;
    details["sqlstate"] = state;
    const std::string raw = sql->what();
    add_named(details, raw, "constraint", "constraint");
    add_named(details, raw, "column", "column");
    add_named(details, raw, "relation", "table");
    if (!sql->query().empty()) details["query"] = sql->query();
  } else if (dynamic_cast<const pqxx::broken_connection*>(&error) != nullptr ||
             dynamic_cast<const pqxx::in_doubt_error*>(&error) != nullptr) {
    result.code = "connection";
    result.retryable = true;
  } else {
    result.code = "unknown";
    result.retryable = true;
  }
  result.details = std::move(details);
  return result;
}

}  // namespace weft::store
