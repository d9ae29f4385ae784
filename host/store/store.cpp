#include "store/store.hpp"

#include "store/checkpoint_writer.hpp"
#include "store/pg_values.hpp"
#include "store/sql_errors.hpp"
#include "store/statement_cache.hpp"
#include "store/statements.hpp"
#include "store/store_connection.hpp"

#include <pqxx/pqxx>
#include <spdlog/spdlog.h>

#include <unistd.h>

#include <array>
#include <set>

namespace weft::store {
namespace {

constexpr std::array kStatements = {
    sql::kInsertEvents,      sql::kStartExecution,       sql::kSaveDefinition,
    sql::kLoadDefinition,   sql::kSelectEventDocuments,
    sql::kSelectStepStates, sql::kNextClaimable,
    sql::kRelease,  sql::kOwnedExecutions,              sql::kRegisterHost,
    sql::kHeartbeat,        sql::kReapHosts,            sql::kUnregisterHost,
    sql::kGetExecution,     sql::kSelectAttempts,
    sql::kExecutionsOfTrace, sql::kTrace, sql::kSelectCompensations, sql::kRequestCancel,
    sql::kCancelRequested, sql::kListDeadLetters, sql::kLockDeadLetter, sql::kRetryFailedSteps,
    sql::kRetryFailedCompensations, sql::kReviveExecution, sql::kSelectOpenSignals,
    sql::kSignalTarget, sql::kDeliverSignal, sql::kAdmissionKeys, sql::kLockAdmissionKey, sql::kAdmit,
    sql::kTryLock, sql::kUnlock, sql::kStaleStatistics,
};


}  // namespace

ExecutionSummary read_summary(const pqxx::row& row) {
  ExecutionSummary summary;
  summary.id = row[0].c_str();
  summary.workflow = row[1].c_str();
  summary.version = row[2].c_str();
  summary.status = row[3].c_str();
  summary.key = optional_text(row[4]);
  summary.trace_id = row[5].c_str();
  summary.created_at = row[6].as<EpochMillis>();
  summary.finished_at = optional_millis(row[7]);
  return summary;
}

Store::Connection::Connection(const std::string& url) : db(url) {
  disable_reactivation(db);
  for (const auto& statement : kStatements) db.prepare(name_of(statement), std::string(statement.text));
}

Store::Store(const std::string& url) {
  guarded("cannot connect to the database", [&] {
    connection_ = std::make_unique<Connection>(url);
    return 0;
  });
}

Store::~Store() = default;

void Store::save_definition(const DefinitionSnapshot& snapshot) {
  guarded("saving a definition", [&] {
    JsonObject scripts;
    for (const auto& [path, content] : snapshot.scripts) scripts[path] = content;
    pqxx::nontransaction txn(connection_->db);
    txn.exec_prepared(name_of(sql::kSaveDefinition), snapshot.workflow, snapshot.content_hash,
                      snapshot.version, snapshot.source_path, snapshot.yaml,
                      to_json_text(scripts));
    return 0;
  });
}

std::optional<DefinitionSnapshot> Store::load_definition(const std::string& workflow,
                                                         const std::string& content_hash) {
  return guarded("loading a definition", [&]() -> std::optional<DefinitionSnapshot> {
    pqxx::nontransaction txn(connection_->db);
    const auto result = txn.exec_prepared(name_of(sql::kLoadDefinition), workflow, content_hash);
    if (result.empty()) return std::nullopt;
    return read_definition(result[0], 0);
  });
}

bool Store::insert_event(const EventRecord& event) { return insert_events({event}).front(); }

std::vector<bool> Store::insert_events(const std::vector<EventRecord>& events) {
  return guarded("storing events", [&] {
    pqxx::nontransaction txn(connection_->db);
    std::set<std::pair<std::string, std::string>> inserted;
    for (const auto& row : txn.exec_prepared(name_of(sql::kInsertEvents), events_json(events)))
      inserted.emplace(row[0].c_str(), row[1].c_str());
    std::vector<bool> stored;
    stored.reserve(events.size());
    for (const auto& event : events) {
      // A batch holding the same event twice stores it once: only the first counts as new.
      stored.push_back(inserted.erase({event.source, event.id}) > 0);
    }
    return stored;
  });
}

StartResult Store::start_execution(const NewExecution& execution) {
  return guarded("starting an execution", [&] {
    // A concurrent start with the same key may commit after this statement's
    // snapshot was taken; then neither branch returns a row, and a second try sees it.
    for (int attempt = 0; attempt < 3; ++attempt) {
      pqxx::nontransaction txn(connection_->db);
      const auto result = txn.exec_prepared(
          name_of(sql::kStartExecution), execution.id, execution.workflow, execution.content_hash,
          execution.version, text_or_null(execution.key), execution.trace_id,
          to_json_text(execution.input), bigint_or_null(execution.timeout_ms),
          text_or_null(execution.concurrency_key),
          bigint_or_null(execution.concurrency_limit ? std::optional<std::int64_t>(*execution.concurrency_limit)
                                                     : std::nullopt));
      if (!result.empty()) return StartResult{result[0][0].c_str(), result[0][1].as<bool>()};
    }
    throw StoreError("the execution key '" + execution.key.value_or("") +
                     "' is being taken by a concurrent start; try again");
  });
}

int Store::admit_pending() {
  return guarded("admitting executions under concurrency limits", [&] {
    std::vector<std::pair<std::string, std::string>> keys;
    {
      pqxx::nontransaction txn(connection_->db);
      for (const auto& row : txn.exec_prepared(name_of(sql::kAdmissionKeys)))
        keys.emplace_back(row[0].c_str(), row[1].c_str());
    }
    int admitted = 0;
    for (const auto& [workflow, key] : keys) {
      pqxx::work txn(connection_->db);
      // Another host is admitting this key right now: it will do our share.
      if (!txn.exec_prepared1(name_of(sql::kLockAdmissionKey), workflow, key)[0].as<bool>()) continue;
      admitted += txn.exec_prepared1(name_of(sql::kAdmit), workflow, key)[0].as<int>();
      txn.commit();
    }
    return admitted;
  });
}

std::optional<std::int64_t> Store::try_lock(const std::string& key, const std::string& holder,
                                            std::chrono::milliseconds ttl) {
  return guarded("taking a lock", [&]() -> std::optional<std::int64_t> {
    pqxx::nontransaction txn(connection_->db);
    const auto rows = txn.exec_prepared(name_of(sql::kTryLock), key, holder,
                                        static_cast<long long>(ttl.count()));
    if (rows.empty()) return std::nullopt;
    return rows[0][0].as<std::int64_t>();
  });
}

void Store::unlock(const std::string& key, std::int64_t token) {
  guarded("releasing a lock", [&] {
    pqxx::nontransaction txn(connection_->db);
    txn.exec_prepared(name_of(sql::kUnlock), key, token);
    return 0;
  });
}

std::optional<std::int64_t> Store::next_claimable_in() {
  return guarded("looking for due work", [&]() -> std::optional<std::int64_t> {
    pqxx::nontransaction txn(connection_->db);
    const auto row = txn.exec_prepared1(name_of(sql::kNextClaimable));
    if (row[0].is_null()) return std::nullopt;
    return std::max<std::int64_t>(0, row[0].as<std::int64_t>());
  });
}

pqxx::connection_base& Store::connection() { return connection_->db; }
pg_conn* Store::pg_handle() { return connection_->db.handle(); }
StatementCache& Store::statement_cache() { return connection_->statements; }

bool Store::checkpoint(const Lease& lease, const Checkpoint& checkpoint) {
  return guarded("writing a checkpoint", [&] {
    pqxx::nontransaction txn(connection_->db);
    return write_checkpoint(txn, lease, checkpoint);
  });
}

void Store::checkpoint_batch(const std::vector<BatchedCheckpoint*>& batch) {
  const auto one_by_one = [&] {
    for (auto* entry : batch) {
      try {
        entry->written = checkpoint(*entry->lease, *entry->checkpoint);
      } catch (...) {
        entry->failure = std::current_exception();
      }
    }
  };
  if (batch.size() == 1) return one_by_one();
  try {
    // One statement: it commits as a whole or not at all.
    pqxx::nontransaction txn(connection_->db);
    std::vector<CheckpointWrite> writes;
    writes.reserve(batch.size());
    for (const auto* entry : batch) writes.push_back({entry->lease, entry->checkpoint});
    const auto written = write_checkpoints(txn, writes);
    for (std::size_t i = 0; i < batch.size(); ++i) batch[i]->written = written[i];
    return;
  } catch (const std::exception& error) {
    if (!connection_->db.is_open()) {
      // The connection broke: whether the statement committed is unknown.
      const auto failure =
          std::make_exception_ptr(StoreError("writing checkpoints: " + describe_sql_error(error)));
      for (auto* entry : batch) entry->failure = failure;
      return;
    }
    spdlog::warn("a batch of {} checkpoints failed ({}); writing them one by one", batch.size(),
                 describe_sql_error(error));
  }
  one_by_one();
}

std::vector<Lease> Store::owned_executions(const std::string& host_id) {
  return guarded("listing owned executions", [&] {
    pqxx::nontransaction txn(connection_->db);
    std::vector<Lease> leases;
    for (const auto& row : txn.exec_prepared(name_of(sql::kOwnedExecutions), host_id))
      leases.push_back(Lease{row[0].c_str(), host_id, row[1].as<std::int64_t>()});
    return leases;
  });
}

bool Store::release(const Lease& lease) {
  return guarded("releasing an execution", [&] {
    pqxx::nontransaction txn(connection_->db);
    const auto row =
        txn.exec_prepared1(name_of(sql::kRelease), lease.execution_id, lease.host_id, lease.fence);
    return row[0].as<long>() > 0;
  });
}

std::vector<std::string> Store::refresh_statistics() {
  return guarded("refreshing table statistics", [&] {
    pqxx::nontransaction txn(connection_->db);
    std::vector<std::string> analyzed;
    for (const auto& row : txn.exec_prepared(name_of(sql::kStaleStatistics))) analyzed.emplace_back(row[0].c_str());
    // The names come from the fixed list in the statement, quoted all the same.
    // SKIP_LOCKED: never wait behind a (auto)vacuum of the table.
    for (const auto& table : analyzed) txn.exec("ANALYZE (SKIP_LOCKED) weft." + txn.quote_name(table));
    return analyzed;
  });
}

void Store::register_host(const std::string& host_id, std::chrono::milliseconds lease) {
  guarded("registering this host", [&] {
    char hostname[256] = {};
    gethostname(hostname, sizeof hostname - 1);
    pqxx::nontransaction txn(connection_->db);
    txn.exec_prepared(name_of(sql::kRegisterHost), host_id, std::string(hostname),
                      static_cast<int>(getpid()), static_cast<long long>(lease.count()), this_process());
    return 0;
  });
}

bool Store::heartbeat(const std::string& host_id) {
  return guarded("renewing this host's lease", [&] {
    pqxx::nontransaction txn(connection_->db);
    return !txn.exec_prepared(name_of(sql::kHeartbeat), host_id).empty();
  });
}

int Store::reap_expired_hosts(const std::string& my_host_id) {
  return guarded("recovering executions of expired hosts", [&] {
    pqxx::nontransaction txn(connection_->db);
    return txn.exec_prepared1(name_of(sql::kReapHosts), my_host_id)[0].as<int>();
  });
}

void Store::unregister_host(const std::string& host_id) {
  guarded("releasing this host's executions", [&] {
    pqxx::nontransaction txn(connection_->db);
    txn.exec_prepared(name_of(sql::kUnregisterHost), host_id);
    return 0;
  });
}

std::optional<ExecutionDetail> Store::get_execution(const std::string& execution_id) {
  return guarded("reading an execution", [&]() -> std::optional<ExecutionDetail> {
    if (!is_uuid_text(execution_id)) return std::nullopt;
    pqxx::nontransaction txn(connection_->db);
    const auto rows = txn.exec_prepared(name_of(sql::kGetExecution), execution_id);
    if (rows.empty()) return std::nullopt;
    const auto& row = rows[0];
    ExecutionDetail detail;
    detail.summary = read_summary(row);
    detail.content_hash = row[8].c_str();
    detail.input = json_column(row[9]);
    detail.output = json_column(row[10]);
    detail.error = json_column(row[11]);
    detail.started_at = optional_millis(row[12]);
    detail.cancel_requested = row[13].as<bool>();
    // Attempts of a compensation are recorded under "compensate:<step id>".
    std::map<std::string, StepView*> index;
    for (const auto& step_row :
         txn.exec_prepared(name_of(sql::kSelectStepStates), to_pg_array({execution_id})))
      detail.steps.push_back(StepView{read_step_state(step_row, 1), {}});
    for (const auto& row_of :
         txn.exec_prepared(name_of(sql::kSelectCompensations), to_pg_array({execution_id})))
      detail.compensations.push_back(StepView{read_step_state(row_of, 1), {}});
    for (auto& step : detail.steps) index[step.state.step_id] = &step;
    for (auto& step : detail.compensations) index[kCompensationPrefix + step.state.step_id] = &step;
    for (const auto& attempt_row : txn.exec_prepared(name_of(sql::kSelectAttempts), execution_id)) {
      const auto it = index.find(attempt_row[0].c_str());
      if (it == index.end()) continue;
      it->second->attempts.push_back(
          AttemptView{attempt_row[1].as<int>(), attempt_row[2].c_str(), json_column(attempt_row[3]),
                      attempt_row[4].as<EpochMillis>(), attempt_row[5].as<EpochMillis>(),
                      json_column(attempt_row[6])});
    }
    return detail;
  });
}

Refusal Store::request_cancel(const std::string& execution_id, std::string& status) {
  return guarded("requesting a cancel", [&] {
    if (!is_uuid_text(execution_id)) return Refusal::NotFound;
    pqxx::nontransaction txn(connection_->db);
    const auto rows = txn.exec_prepared(name_of(sql::kRequestCancel), execution_id);
    if (rows.empty()) return Refusal::NotFound;
    status = rows[0][0].c_str();
    if (rows[0][1].as<bool>()) return Refusal::Finished;
    if (rows[0][2].as<bool>()) return Refusal::AlreadyRequested;
    return Refusal::None;
  });
}

std::optional<SignalTarget> Store::signal_target(const std::string& execution_id) {
  return guarded("looking up an execution", [&]() -> std::optional<SignalTarget> {
    if (!is_uuid_text(execution_id)) return std::nullopt;
    pqxx::nontransaction txn(connection_->db);
    const auto rows = txn.exec_prepared(name_of(sql::kSignalTarget), execution_id);
    if (rows.empty()) return std::nullopt;
    return SignalTarget{rows[0][0].c_str(), rows[0][1].c_str(), rows[0][2].c_str(), rows[0][3].as<bool>()};
  });
}

bool Store::deliver_signal(const std::string& execution_id, const std::string& name, const Json& data) {
  return guarded("delivering a signal", [&] {
    pqxx::nontransaction txn(connection_->db);
    return txn.exec_prepared1(name_of(sql::kDeliverSignal), execution_id, name, to_json_text(data))[0]
               .as<long>() > 0;
  });
}

std::vector<std::string> Store::cancel_requested(const std::string& host_id) {
  return guarded("looking for cancelled executions", [&] {
    pqxx::nontransaction txn(connection_->db);
    std::vector<std::string> ids;
    for (const auto& row : txn.exec_prepared(name_of(sql::kCancelRequested), host_id))
      ids.emplace_back(row[0].c_str());
    return ids;
  });
}

std::vector<DeadLetter> Store::list_dead_letters(int limit) {
  return guarded("listing the dead-letter queue", [&] {
    pqxx::nontransaction txn(connection_->db);
    std::vector<DeadLetter> letters;
    for (const auto& row : txn.exec_prepared(name_of(sql::kListDeadLetters), limit)) {
      letters.push_back(DeadLetter{read_summary(row), json_column(row[8]), row[9].c_str(),
                                   row[10].as<int>()});
    }
    return letters;
  });
}

Refusal Store::retry_dead_letter(const std::string& execution_id) {
  return guarded("retrying a dead letter", [&] {
    if (!is_uuid_text(execution_id)) return Refusal::NotFound;
    pqxx::work txn(connection_->db);
    const auto rows = txn.exec_prepared(name_of(sql::kLockDeadLetter), execution_id);
    if (rows.empty()) return Refusal::NotFound;
    if (std::string(rows[0][0].c_str()) != execution_status::kFailed) return Refusal::NotDeadLetter;
    const bool compensation_failed = std::string(rows[0][1].c_str()) == "compensation_failed";
    txn.exec_prepared(name_of(compensation_failed ? sql::kRetryFailedCompensations : sql::kRetryFailedSteps),
                      execution_id);
    txn.exec_prepared(name_of(sql::kReviveExecution), execution_id,
                      std::string(compensation_failed ? execution_status::kCompensating
                                                      : execution_status::kRunning));
    txn.commit();
    return Refusal::None;
  });
}

std::vector<ExecutionSummary> Store::executions_of_trace(const std::string& trace_id) {
  return guarded("listing a trace's executions", [&] {
    pqxx::nontransaction txn(connection_->db);
    std::vector<ExecutionSummary> summaries;
    for (const auto& row : txn.exec_prepared(name_of(sql::kExecutionsOfTrace), trace_id))
      summaries.push_back(read_summary(row));
    return summaries;
  });
}

std::vector<TimelineEntry> Store::trace(const std::string& trace_id) {
  return guarded("reading a trace", [&] {
    pqxx::nontransaction txn(connection_->db);
    std::vector<TimelineEntry> entries;
    for (const auto& row : txn.exec_prepared(name_of(sql::kTrace), trace_id)) {
      entries.push_back(TimelineEntry{row[0].as<EpochMillis>(), row[1].c_str(), row[2].c_str(),
                                      row[3].c_str(), row[4].c_str(), json_column(row[5])});
    }
    return entries;
  });
}

}  // namespace weft::store
