#include "store/step_transaction.hpp"

#include "store/checkpoint_writer.hpp"
#include "store/pipeline.hpp"
#include "store/statement_cache.hpp"
#include "store/step_sql_check.hpp"

#include <spdlog/spdlog.h>

#include <charconv>
#include <chrono>
#include <cstdlib>
#include <iterator>

namespace weft::store {
namespace {

// Built-in type OIDs (pg_type.dat); values of other types arrive as text.
constexpr Oid kBool = 16, kInt8 = 20, kInt2 = 21, kInt4 = 23, kOid = 26, kJson = 114, kFloat4 = 700,
              kFloat8 = 701, kNumeric = 1700, kJsonb = 3802;

Json field_value(const PGresult* result, int row, int column) {
  if (PQgetisnull(result, row, column) != 0) return nullptr;
  const std::string_view text(PQgetvalue(result, row, column),
                              static_cast<std::size_t>(PQgetlength(result, row, column)));
  switch (PQftype(result, column)) {
    case kBool: return text == "t";
    case kInt2:
    case kInt4:
    case kInt8:
    case kOid: {
      std::int64_t number = 0;
      const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), number);
      if (error == std::errc() && end == text.data() + text.size()) return number;
      return Json(text);
    }
    case kFloat4:
    case kFloat8:
    case kNumeric: return std::strtod(std::string(text).c_str(), nullptr);  // also NaN and Infinity
    case kJson:
    case kJsonb: {
      auto parsed = parse_json(text);
      return parsed ? std::move(*parsed) : Json(nullptr);
    }
    default: return Json(text);
  }
}

// Refused before anything is sent: the transaction is as it was. libpq passes
// text as C strings, so a NUL byte would silently cut the SQL (running a
// prefix of it); transaction control or session state would break the
// step's commit with its checkpoint or outlive the step.
void check_sendable(std::string_view sql, const std::vector<Json>& params) {
  if (auto refused = refused_step_sql(sql, params))
    throw SqlError(StepError{"query", std::move(*refused), false, JsonObject{{"query", sql}}});
}

// Parameters are sent as text and typed by the server; JSON values go as JSON text.
Parameters bind(const std::vector<Json>& params) {
  Parameters bound;
  bound.reserve(params.size());
  for (const auto& param : params) {
    if (param.is_null()) bound.emplace_back();
    else if (param.is_string()) bound.emplace_back(std::string(param.get_string()));
    else if (param.is_bool()) bound.emplace_back(param.get_bool() ? "true" : "false");
    else bound.emplace_back(to_json_text(param));
  }
  return bound;
}

// The statements that open the transaction: the isolation level is always
// named (the server's default may not be READ COMMITTED). The timeout is a
// number the host computed, never text from a definition or a script.
std::vector<std::string> begin_statements(IsolationLevel isolation,
                                          std::optional<std::chrono::milliseconds> statement_timeout) {
  std::string begin = "BEGIN ISOLATION LEVEL ";
  switch (isolation) {
    case IsolationLevel::RepeatableRead: begin += "REPEATABLE READ"; break;
    case IsolationLevel::Serializable: begin += "SERIALIZABLE"; break;
    case IsolationLevel::ReadCommitted: begin += "READ COMMITTED"; break;
  }
  std::vector<std::string> statements{begin};
  if (statement_timeout)
    statements.push_back("SET LOCAL statement_timeout = " + std::to_string(statement_timeout->count()));
  return statements;
}

/// A statement error the server did not abort the transaction for (SQL with
/// nothing in it): the step's transaction can go on.
class NotAborting : public SqlError {
 public:
  using SqlError::SqlError;
};

template <typename Body>
auto classified(Body&& body) -> decltype(body()) {
  try {
    return body();
  } catch (const SqlError&) {
    throw;
  } catch (const std::exception& error) {
    throw SqlError(classify_sql_error(error));
  }
}

}  // namespace

struct StepTransaction::Impl {
  Impl(Store& store, std::vector<std::string> begin)
      : connection(store.pg_handle()),
        statements(store.statement_cache()),
        transaction(connection),
        pending_begin(std::move(begin)) {}
  PGconn* connection;
  StatementCache& statements;
  TransactionGuard transaction;  // rolls back unless committed
  std::vector<std::string> pending_begin;  // sent with the first statement
  std::vector<std::pair<std::string, Parameters>> pending_commit;  // sent with the commit
  // A failed statement aborts the transaction until a ROLLBACK TO SAVEPOINT;
  // the server would answer a COMMIT then with a silent ROLLBACK.
  bool aborted = false;
  int savepoints = 0;
  std::chrono::milliseconds slow_query{200};
  int queries = 0;
  double query_ms = 0;
  JsonArray slow;
  Json connection_info;  // the pool's wait and usage when this transaction began

  /// Opens the transaction in `pipeline` if that is still to do; returns how
  /// many answers that adds.
  std::size_t start(Pipeline& pipeline) {
    const auto forgotten = statements.take_forgotten();
    if (!forgotten.empty()) {
      // Rare (a table changed shape under a prepared statement), so in a round
      // trip of its own: a failure there must not abort what follows.
      Pipeline deallocate(connection);
      for (const auto& name : forgotten) deallocate.query("DEALLOCATE " + name);  // our names, never step text
      deallocate.run();
    }
    for (const auto& statement : pending_begin) pipeline.query(statement);
    return pending_begin.size();
  }
  /// Checks the answers start() added: the transaction is open once they held.
  void started(const std::vector<Answer>& answers, std::size_t count) {
    for (std::size_t i = 0; i < count; ++i) {
      if (!answers[i].ok()) answers[i].raise(pending_begin[i]);
    }
    if (count > 0) {
      pending_begin.clear();
      transaction.opened();
    }
  }

  template <typename Body>
  auto guard(Body&& body) -> decltype(body()) {
    try {
      return classified(std::forward<Body>(body));
    } catch (const NotAborting&) {
      throw;
    } catch (...) {
      aborted = true;
      throw;
    }
  }

  // Times one statement of the step's own SQL.
  template <typename Body>
  auto timed(std::string_view sql, Body&& body) -> decltype(body()) {
    const auto started_at = std::chrono::steady_clock::now();
    auto result = body();
    const double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started_at).count();
    ++queries;
    query_ms += ms;
    if (ms >= static_cast<double>(slow_query.count())) {
      spdlog::warn("slow query ({:.1f}ms): {}", ms, sql);
      constexpr std::size_t kSlowListed = 5;
      if (slow.size() < kSlowListed) slow.push_back(JsonObject{{"sql", sql}, {"ms", static_cast<std::int64_t>(ms)}});
    }
    return result;
  }

  // A step's own statement, prepared once its text keeps coming back. Errors
  // name the step's SQL, never the prepared statement's generated name.
  ResultPtr run(std::string_view sql, const std::vector<Json>& params) {
    return timed(sql, [&] {
      Pipeline pipeline(connection);
      const auto opening = start(pipeline);
      const std::string* name = statements.prepared(sql);
      const auto new_name = name != nullptr ? std::nullopt : statements.name_to_prepare(sql);
      if (name != nullptr) {
        pipeline.prepared(*name, bind(params));
      } else if (new_name) {
        pipeline.prepare(*new_name, std::string(sql));
        pipeline.prepared(*new_name, bind(params));
      } else {
        pipeline.query(std::string(sql), bind(params));
      }
      auto answers = pipeline.run();
      started(answers, opening);
      if (new_name) {
        auto& prepared = answers[opening];
        if (!prepared.ok()) prepared.raise(std::string(sql));
        statements.add(sql, *new_name);
      }
      auto& answer = answers.back();
      if (answer.result && PQresultStatus(answer.result.get()) == PGRES_EMPTY_QUERY) {
        try {
          answer.raise(std::string(sql));
        } catch (const std::exception& error) {
          throw NotAborting(classify_sql_error(error));
        }
      }
      if (!answer.ok()) {
        try {
          answer.raise(std::string(sql));
        } catch (const std::exception& error) {
          if (is_stale_prepared_statement(error)) statements.forget(sql);
          throw;
        }
      }
      if (name == nullptr && !new_name) statements.succeeded(sql);
      return std::move(answer.result);
    });
  }

  // One of the host's own statements inside the transaction (savepoints).
  void command(const std::string& sql) {
    Pipeline pipeline(connection);
    const auto opening = start(pipeline);
    pipeline.query(sql);
    const auto answers = pipeline.run();
    started(answers, opening);
    if (!answers.back().ok()) answers.back().raise(sql);
  }
};

StepTransaction::StepTransaction(Store& store, IsolationLevel isolation,
                                 std::optional<std::chrono::milliseconds> statement_timeout,
                                 std::chrono::milliseconds slow_query)
    : impl_(std::make_unique<Impl>(store, begin_statements(isolation, statement_timeout))) {
  impl_->slow_query = slow_query;
}

StepTransaction::~StepTransaction() = default;  // Impl rolls back if not committed

Json StepTransaction::query(std::string_view sql, const std::vector<Json>& params) {
  check_sendable(sql, params);  // nothing sent: the transaction is as it was
  return impl_->guard([&] {
    const auto result = impl_->run(sql, params);
    const PGresult* rows_of = result.get();
    const int rows = PQntuples(rows_of);
    const int columns = PQnfields(rows_of);
    JsonArray out;
    out.reserve(static_cast<std::size_t>(rows));
    for (int row = 0; row < rows; ++row) {
      JsonObject object;
      for (int column = 0; column < columns; ++column)
        object[PQfname(rows_of, column)] = field_value(rows_of, row, column);
      out.push_back(std::move(object));
    }
    return Json(std::move(out));
  });
}

std::int64_t StepTransaction::exec(std::string_view sql, const std::vector<Json>& params) {
  check_sendable(sql, params);
  return impl_->guard([&] {
    const auto result = impl_->run(sql, params);
    const char* affected = PQcmdTuples(result.get());
    return static_cast<std::int64_t>(affected[0] == '\0' ? 0 : std::strtoll(affected, nullptr, 10));
  });
}

// Names are generated here, never taken from scripts, so they are safe to splice into SQL.
std::string StepTransaction::begin_savepoint() {
  return impl_->guard([&] {
    std::string name = "weft_sp_" + std::to_string(++impl_->savepoints);
    impl_->command("SAVEPOINT " + name);
    return name;
  });
}

void StepTransaction::release_savepoint(const std::string& name) {
  impl_->guard([&] {
    impl_->command("RELEASE SAVEPOINT " + name);
    return 0;
  });
}

void StepTransaction::rollback_to_savepoint(const std::string& name) {
  impl_->guard([&] {
    impl_->command("ROLLBACK TO SAVEPOINT " + name);
    return 0;
  });
  impl_->aborted = false;  // back to a state before the failure
}

void StepTransaction::unlock(const std::string& key, std::int64_t token) {
  impl_->pending_commit.emplace_back("DELETE FROM weft.locks WHERE key = $1 AND token = $2",
                                     Parameters{key, std::to_string(token)});
}

void StepTransaction::describe_connection(Json info) { impl_->connection_info = std::move(info); }

Json StepTransaction::stats(std::string_view outcome) const {
  JsonObject stats{{"queries", impl_->queries},
                   {"query_ms", static_cast<std::int64_t>(impl_->query_ms)},
                   {"outcome", outcome},
                   {"slow", impl_->slow}};
  if (!impl_->connection_info.is_null()) stats["pool"] = impl_->connection_info;
  return stats;
}

StepTransaction::Committed StepTransaction::commit(const Lease& lease, const Checkpoint& checkpoint) {
  if (impl_->aborted) {
    throw SqlError(StepError{"unknown", "the transaction cannot commit: a statement in it failed", false,
                             JsonObject{{"sqlstate", "25P02"}}});
  }
  return impl_->guard([&] {
    Pipeline pipeline(impl_->connection);
    const auto opening = impl_->start(pipeline);
    for (auto& [sql, parameters] : impl_->pending_commit) pipeline.query(sql, std::move(parameters));
    const auto unlocks = impl_->pending_commit.size();
    impl_->pending_commit.clear();
    auto call = checkpoint_call({CheckpointWrite{&lease, &checkpoint}}, WhenFencedOut::Raise);
    const auto& name = call.statement->name;
    pipeline.host_statement(impl_->statements, name, call.statement->text,
                            {std::make_move_iterator(call.parameters.begin()),
                             std::make_move_iterator(call.parameters.end())});
    pipeline.query("COMMIT");
    auto answers = pipeline.run();
    impl_->started(answers, opening);
    std::size_t at = opening;
    for (std::size_t i = 0; i < unlocks; ++i, ++at) {
      if (!answers[at].ok()) answers[at].raise("DELETE FROM weft.locks");
    }
    const auto& written = answers[at];
    if (written.sqlstate() == kFencedOutState) return Committed::FencedOut;  // the destructor rolls back
    if (!written.ok()) written.raise(name);
    // A refused COMMIT (a serialization failure found at commit) has rolled back.
    impl_->transaction.ended();
    if (!answers.back().ok()) answers.back().raise("COMMIT");
    return Committed::Yes;
  });
}

void StepTransaction::commit() {
  if (impl_->aborted) {
    throw SqlError(StepError{"unknown", "the transaction cannot commit: a statement in it failed", false,
                             JsonObject{{"sqlstate", "25P02"}}});
  }
  impl_->guard([&] {
    Pipeline pipeline(impl_->connection);
    const auto opening = impl_->start(pipeline);
    for (auto& [sql, parameters] : impl_->pending_commit) pipeline.query(sql, std::move(parameters));
    impl_->pending_commit.clear();
    pipeline.query("COMMIT");
    const auto answers = pipeline.run();
    impl_->started(answers, opening);
    for (std::size_t at = opening; at + 1 < answers.size(); ++at) {
      if (!answers[at].ok()) answers[at].raise("DELETE FROM weft.locks");
    }
    impl_->transaction.ended();
    if (!answers.back().ok()) answers.back().raise("COMMIT");
    return 0;
  });
}

}  // namespace weft::store
