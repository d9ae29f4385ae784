// SQLSTATE classes (PostgreSQL Appendix A) mapped to step error codes.
#include "store/step_transaction.hpp"
#include "store/sql_errors.hpp"
#include "store/statement_cache.hpp"

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
  // 40003: the server cannot say whether the statement committed; the checkpoint decides.
  if (state == "40003") return {"connection", true, "the outcome of the statement is unknown"};
  if (state == "40001") return {"serialization_failure", true, "concurrent update; the step is retried"};
  if (state.rfind("08", 0) == 0 || state == "57P01" || state == "57P02" || state == "57P03")
    return {"connection", true, "the database connection failed"};
  if (state == "57014" || state == "55P03") return {"timeout", true, "the statement ran out of time"};
  if (state == "42501") return {"permission", false, "the database user lacks a privilege"};
  if (state.rfind("42", 0) == 0) return {"query", false, "the SQL is invalid"};
  // Resource shortages and server faults may pass; bad data or a RAISE will not.
  const bool transient = state.rfind("53", 0) == 0 || state.rfind("58", 0) == 0 || state.rfind("XX", 0) == 0;
  return {"unknown", transient, ""};
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

// libpqxx 6.4 leaves sqlstate() empty for some of its exception types, and
// its transaction_rollback family (deadlock, serialization) is not an
// sql_error at all: the type then tells the SQLSTATE. Most specific first.
std::string sqlstate_of_type(const std::exception& error) {
  struct Known {
    bool (*is)(const std::exception&);
    const char* state;
  };
  static constexpr Known kKnown[] = {
      {[](const std::exception& e) { return dynamic_cast<const pqxx::deadlock_detected*>(&e) != nullptr; }, "40P01"},
      {[](const std::exception& e) { return dynamic_cast<const pqxx::serialization_failure*>(&e) != nullptr; }, "40001"},
      {[](const std::exception& e) { return dynamic_cast<const pqxx::statement_completion_unknown*>(&e) != nullptr; }, "40003"},
      {[](const std::exception& e) { return dynamic_cast<const pqxx::transaction_rollback*>(&e) != nullptr; }, "40000"},
      {[](const std::exception& e) { return dynamic_cast<const pqxx::insufficient_privilege*>(&e) != nullptr; }, "42501"},
      {[](const std::exception& e) { return dynamic_cast<const pqxx::unique_violation*>(&e) != nullptr; }, "23505"},
      {[](const std::exception& e) { return dynamic_cast<const pqxx::not_null_violation*>(&e) != nullptr; }, "23502"},
      {[](const std::exception& e) { return dynamic_cast<const pqxx::foreign_key_violation*>(&e) != nullptr; }, "23503"},
      {[](const std::exception& e) { return dynamic_cast<const pqxx::check_violation*>(&e) != nullptr; }, "23514"},
      {[](const std::exception& e) { return dynamic_cast<const pqxx::integrity_constraint_violation*>(&e) != nullptr; }, "23000"},
      {[](const std::exception& e) { return dynamic_cast<const pqxx::undefined_table*>(&e) != nullptr; }, "42P01"},
      {[](const std::exception& e) { return dynamic_cast<const pqxx::undefined_column*>(&e) != nullptr; }, "42703"},
      {[](const std::exception& e) { return dynamic_cast<const pqxx::undefined_function*>(&e) != nullptr; }, "42883"},
      {[](const std::exception& e) { return dynamic_cast<const pqxx::syntax_error*>(&e) != nullptr; }, "42601"},
      {[](const std::exception& e) { return dynamic_cast<const pqxx::data_exception*>(&e) != nullptr; }, "22000"},
      {[](const std::exception& e) { return dynamic_cast<const pqxx::insufficient_resources*>(&e) != nullptr; }, "53000"},
      {[](const std::exception& e) { return dynamic_cast<const pqxx::plpgsql_raise*>(&e) != nullptr; }, "P0001"},
  };
  for (const auto& known : kKnown) {
    if (known.is(error)) return known.state;
  }
  return "";
}

}  // namespace

StepError classify_sql_error(const std::exception& error) {
  StepError result;
  result.message = describe_sql_error(error);
  JsonObject details;
  const auto* sql = dynamic_cast<const pqxx::sql_error*>(&error);
  std::string state = sql != nullptr ? sql->sqlstate() : "";
  if (state.empty()) state = sqlstate_of_type(error);
  if (!state.empty()) {
    const auto kind = class_of(state);
    result.code = kind.code;
    // A prepared step statement outlived a change to its tables; it is
    // prepared afresh, so the next attempt runs.
    result.retryable = kind.retryable || is_stale_prepared_statement(error);
    details["sqlstate"] = state;
    const std::string raw = error.what();
    add_named(details, raw, "constraint", "constraint");
    add_named(details, raw, "column", "column");
    add_named(details, raw, "relation", "table");
    if (sql != nullptr && !sql->query().empty()) details["query"] = sql->query();
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
