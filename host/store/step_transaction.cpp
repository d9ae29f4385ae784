#include "store/step_transaction.hpp"

#include "store/checkpoint_writer.hpp"
#include "store/statements.hpp"
#include "store/pg_values.hpp"
#include "store/statement_cache.hpp"

#include <pqxx/pqxx>
#include <spdlog/spdlog.h>

#include <chrono>

namespace weft::store {
namespace {

// Built-in type OIDs (pg_type.dat); values of other types arrive as text.
constexpr pqxx::oid kBool = 16, kInt8 = 20, kInt2 = 21, kInt4 = 23, kOid = 26, kJson = 114,
                    kFloat4 = 700, kFloat8 = 701, kNumeric = 1700, kJsonb = 3802;

Json field_value(const pqxx::field& field) {
  if (field.is_null()) return nullptr;
  switch (field.type()) {
    case kBool: return field.as<bool>();
    case kInt2:
    case kInt4:
    case kInt8:
    case kOid: return field.as<std::int64_t>();
    case kFloat4:
    case kFloat8:
    case kNumeric: return field.as<double>();
    case kJson:
    case kJsonb: return json_column(field);
    default: return Json(std::string_view(field.c_str(), field.size()));
  }
}

// Parameters are sent as text and typed by the server; JSON values go as JSON text.
std::vector<NullableText> bind(const std::vector<Json>& params) {
  std::vector<NullableText> bound;
  bound.reserve(params.size());
  for (const auto& param : params) {
    if (param.is_null()) bound.push_back({});
    else if (param.is_string()) bound.push_back({std::string(param.get_string())});
    else if (param.is_bool()) bound.push_back({param.get_bool() ? "true" : "false"});
    else bound.push_back({to_json_text(param)});
  }
  return bound;
}

// One round trip opens the transaction with its isolation level and statement
// timeout. The level is always named: the server's default may not be READ COMMITTED.
std::string begin_sql(IsolationLevel isolation, std::optional<std::chrono::milliseconds> statement_timeout) {
  std::string sql = "BEGIN ISOLATION LEVEL ";
  switch (isolation) {
    case IsolationLevel::RepeatableRead: sql += "REPEATABLE READ"; break;
    case IsolationLevel::Serializable: sql += "SERIALIZABLE"; break;
    case IsolationLevel::ReadCommitted: sql += "READ COMMITTED"; break;
  }
  // A number the host computed, never text from a definition or a script.
  if (statement_timeout) sql += "; SET LOCAL statement_timeout = " + std::to_string(statement_timeout->count());
  return sql;
}

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
  // BEGIN and COMMIT are ours (see begin_sql), so the statements run through a
  // nontransaction; the destructor rolls back what was not committed.
  Impl(pqxx::connection_base& connection, StatementCache& cache) : txn(connection), statements(cache) {}
  ~Impl() {
    if (!open) return;
    try {
      txn.exec("ROLLBACK");
    } catch (const std::exception&) {
      // The connection is gone, and the server rolled back with it.
    }
  }
  pqxx::nontransaction txn;
  StatementCache& statements;
  bool open = false;
  // A failed statement aborts the transaction until a ROLLBACK TO SAVEPOINT;
  // the server would answer a COMMIT then with a silent ROLLBACK.
  bool aborted = false;

  template <typename Body>
  auto guard(Body&& body) -> decltype(body()) {
    try {
      return classified(std::forward<Body>(body));
    } catch (...) {
      aborted = true;
      throw;
    }
  }
  int savepoints = 0;
  std::chrono::milliseconds slow_query{200};
  int queries = 0;
  double query_ms = 0;
  JsonArray slow;
  Json connection_info;  // the pool's wait and usage when this transaction began

  // Times one statement of the step's own SQL.
  template <typename Body>
  auto timed(std::string_view sql, Body&& body) -> decltype(body()) {
    const auto started = std::chrono::steady_clock::now();
    auto result = body();
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
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
  pqxx::result run(std::string_view sql, const std::vector<Json>& params) {
    const auto bound = bind(params);
    try {
      return timed(sql, [&] {
        if (const auto* name = statements.prepared(sql)) {
          try {
            return txn.exec_prepared(*name, pqxx::prepare::make_dynamic_params(bound));
          } catch (const std::exception& error) {
            if (is_stale_prepared_statement(error)) statements.forget(sql);
            throw;
          }
        }
        auto result = txn.exec_params(std::string(sql), pqxx::prepare::make_dynamic_params(bound));
        statements.succeeded(sql, txn.conn());
        return result;
      });
    } catch (const std::exception& error) {
      auto classified = classify_sql_error(error);
      if (auto* details = classified.details.if_object(); details != nullptr && details->contains("query"))
        (*details)["query"] = sql;
      throw SqlError(std::move(classified));
    }
  }
};

StepTransaction::StepTransaction(Store& store, IsolationLevel isolation,
                                 std::optional<std::chrono::milliseconds> statement_timeout,
                                 std::chrono::milliseconds slow_query) {
  classified([&] {
    store.statement_cache().drop_forgotten(store.connection());
    impl_ = std::make_unique<Impl>(store.connection(), store.statement_cache());
    impl_->slow_query = slow_query;
    impl_->txn.exec(begin_sql(isolation, statement_timeout));
    impl_->open = true;
    return 0;
  });
}

StepTransaction::~StepTransaction() = default;  // Impl rolls back if not committed

Json StepTransaction::query(std::string_view sql, const std::vector<Json>& params) {
  return impl_->guard([&] {
    const auto result = impl_->run(sql, params);
    JsonArray rows;
    rows.reserve(result.size());
    for (const auto& row : result) {
      JsonObject object;
      for (const auto& field : row) object[field.name()] = field_value(field);
      rows.push_back(std::move(object));
    }
    return Json(std::move(rows));
  });
}

std::int64_t StepTransaction::exec(std::string_view sql, const std::vector<Json>& params) {
  return impl_->guard([&] {
    return static_cast<std::int64_t>(impl_->run(sql, params).affected_rows());
  });
}

// Names are generated here, never taken from scripts, so they are safe to splice into SQL.
std::string StepTransaction::begin_savepoint() {
  return impl_->guard([&] {
    std::string name = "weft_sp_" + std::to_string(++impl_->savepoints);
    impl_->txn.exec("SAVEPOINT " + name);
    return name;
  });
}

void StepTransaction::release_savepoint(const std::string& name) {
  impl_->guard([&] {
    impl_->txn.exec("RELEASE SAVEPOINT " + name);
    return 0;
  });
}

void StepTransaction::rollback_to_savepoint(const std::string& name) {
  impl_->guard([&] {
    impl_->txn.exec("ROLLBACK TO SAVEPOINT " + name);
    return 0;
  });
  impl_->aborted = false;  // back to a state before the failure
}

void StepTransaction::unlock(const std::string& key, std::int64_t token) {
  impl_->guard([&] {
    impl_->txn.exec_params("DELETE FROM weft.locks WHERE key = $1 AND token = $2", key, token);
    return 0;
  });
}

bool StepTransaction::checkpoint(const Lease& lease, const Checkpoint& checkpoint) {
  return impl_->guard([&] { return write_checkpoint(impl_->txn, lease, checkpoint); });
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

void StepTransaction::commit() {
  if (impl_->aborted) {
    throw SqlError(StepError{"unknown", "the transaction cannot commit: a statement in it failed", false,
                             JsonObject{{"sqlstate", "25P02"}}});
  }
  impl_->guard([&] {
    impl_->txn.exec("COMMIT");
    impl_->open = false;
    return 0;
  });
}

}  // namespace weft::store
