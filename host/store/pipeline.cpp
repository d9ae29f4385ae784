#include "store/pipeline.hpp"

#include "store/statement_cache.hpp"

#include <pqxx/except>

namespace weft::store {
namespace {

[[noreturn]] void lost(PGconn* connection) {
  std::string message = connection != nullptr ? PQerrorMessage(connection) : "no connection";
  if (const auto cut = message.find('\n'); cut != std::string::npos) message.resize(cut);
  throw pqxx::broken_connection(message.empty() ? "the connection was lost" : message);
}

std::vector<const char*> values_of(const Parameters& parameters) {
  std::vector<const char*> values;
  values.reserve(parameters.size());
  for (const auto& parameter : parameters) values.push_back(parameter ? parameter->c_str() : nullptr);
  return values;
}

}  // namespace

bool Answer::ok() const {
  if (!result) return false;
  const auto status = PQresultStatus(result.get());
  return status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK;
}

std::string Answer::sqlstate() const {
  if (!result || ok()) return "";
  const char* state = PQresultErrorField(result.get(), PG_DIAG_SQLSTATE);
  return state != nullptr ? state : "";
}

void Answer::raise(const std::string& query) const {
  if (!result) throw pqxx::sql_error("the statement was skipped: an earlier one in its pipeline failed", query);
  // The server answers SQL with nothing in it (blank, or only comments) without an error.
  if (PQresultStatus(result.get()) == PGRES_EMPTY_QUERY)
    throw pqxx::sql_error("the SQL statement is empty", query, "42601");
  const std::string state = sqlstate();
  const char* message = PQresultErrorMessage(result.get());
  throw pqxx::sql_error(message != nullptr ? message : "the statement failed", query,
                        state.empty() ? nullptr : state.c_str());
}

TransactionGuard::~TransactionGuard() {
  if (!open_) return;
  try {
    Pipeline rollback(connection_);
    rollback.query("ROLLBACK");
    rollback.run();
  } catch (const std::exception&) {
    // The connection is gone, and the server rolled back with it.
  }
}

void Pipeline::query(std::string sql, Parameters parameters) {
  queued_.push_back({Kind::Query, {}, std::move(sql), std::move(parameters)});
}

void Pipeline::prepare(std::string name, std::string sql) {
  queued_.push_back({Kind::Prepare, std::move(name), std::move(sql), {}});
}

void Pipeline::prepared(std::string name, Parameters parameters) {
  queued_.push_back({Kind::Prepared, std::move(name), {}, std::move(parameters)});
}

void Pipeline::host_statement(StatementCache& statements, const std::string& name, const std::string& sql,
                              Parameters parameters) {
  if (!statements.has_host_statement(name)) queued_.push_back({Kind::Prepare, name, sql, {}, &statements});
  prepared(name, std::move(parameters));
}

std::vector<Answer> Pipeline::run() {
  if (connection_ == nullptr || PQstatus(connection_) != CONNECTION_OK) lost(connection_);
  if (PQenterPipelineMode(connection_) != 1) lost(connection_);
  for (const auto& statement : queued_) {
    const auto values = values_of(statement.parameters);
    const int count = static_cast<int>(values.size());
    int sent = 0;
    switch (statement.kind) {
      case Kind::Query:
        sent = PQsendQueryParams(connection_, statement.sql.c_str(), count, nullptr, values.data(), nullptr,
                                 nullptr, 0);
        break;
      case Kind::Prepare:
        sent = PQsendPrepare(connection_, statement.name.c_str(), statement.sql.c_str(), 0, nullptr);
        break;
      case Kind::Prepared:
        sent = PQsendQueryPrepared(connection_, statement.name.c_str(), count, values.data(), nullptr, nullptr, 0);
        break;
    }
    if (sent != 1) lost(connection_);
  }
  if (PQpipelineSync(connection_) != 1) lost(connection_);

  const auto queued = std::move(queued_);
  queued_.clear();
  std::vector<Answer> answers;
  answers.reserve(queued.size());
  Answer failed_prepare;  // a failed prepare's answer stands in for its statement's skipped one
  for (const auto& statement : queued) {
    Answer answer;
    ResultPtr result(PQgetResult(connection_));
    if (!result) lost(connection_);
    if (PQresultStatus(result.get()) != PGRES_PIPELINE_ABORTED) answer.result = std::move(result);
    // Each statement's answer ends with a null result.
    while (ResultPtr extra{PQgetResult(connection_)}) {
    }
    if (statement.remember != nullptr) {
      if (answer.ok()) statement.remember->add_host_statement(statement.name);
      else failed_prepare = std::move(answer);
      continue;
    }
    if (failed_prepare.result && answer.skipped()) answer = std::move(failed_prepare);
    failed_prepare.result.reset();
    answers.push_back(std::move(answer));
  }
  const ResultPtr sync(PQgetResult(connection_));
  if (!sync || PQresultStatus(sync.get()) != PGRES_PIPELINE_SYNC) lost(connection_);
  if (PQexitPipelineMode(connection_) != 1) lost(connection_);
  return answers;
}

}  // namespace weft::store
