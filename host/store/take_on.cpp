// The transactions that take executions on: routing events (creating the
// executions they start) and claiming executions. Both own what the host has
// room for and commit the first checkpoints of fresh runs with themselves, in
// libpq pipelines (issue 6).
#include "store/checkpoint_sql.hpp"
#include "store/checkpoint_writer.hpp"
#include "store/json_rows.hpp"
#include "store/pg_values.hpp"
#include "store/pipeline.hpp"
#include "store/store_connection.hpp"

#include <pqxx/pqxx>

#include <cstdlib>
#include <map>
#include <iterator>

namespace weft::store {
namespace {

// Ends a routing or claiming transaction: the first checkpoints of the runs it
// took on go with its COMMIT, in one round trip. If a lease did not hold, the
// COMMIT finds the transaction aborted and nothing of it happened.
void commit_with_first_checkpoints(PGconn* connection, StatementCache& statements, TransactionGuard& transaction,
                                   const std::vector<Lease>& leases, const std::vector<const Checkpoint*>& checkpoints,
                                   const char* while_being) {
  Pipeline finish(connection);
  const CheckpointStatement* statement = nullptr;
  if (!checkpoints.empty()) {
    std::vector<CheckpointWrite> writes;
    for (std::size_t i = 0; i < leases.size(); ++i) writes.push_back({&leases[i], checkpoints[i]});
    auto call = checkpoint_call(writes, WhenFencedOut::Raise);
    statement = call.statement;
    finish.host_statement(statements, statement->name, statement->text,
                          {std::make_move_iterator(call.parameters.begin()),
                           std::make_move_iterator(call.parameters.end())});
  }
  finish.query("COMMIT");
  const auto finished = finish.run();
  if (statement != nullptr) {
    if (finished[0].sqlstate() == kFencedOutState)
      throw StoreError(std::string("an execution was taken over while it was being ") + while_being);
    if (!finished[0].ok()) finished[0].raise(statement->name);
  }
  transaction.ended();  // committed, or rolled back by a refused COMMIT
  if (!finished.back().ok()) finished.back().raise("COMMIT");
}

}  // namespace

// One routing transaction is three round trips (libpq pipelines): BEGIN with
// taking the events; inserting the executions (their rows decide what is taken
// on); the first checkpoints with COMMIT. A first checkpoint whose lease does
// not hold aborts the transaction before the COMMIT behind it runs.
Store::Routed Store::route_events(int limit, const RouteFn& route, const EagerClaim& claim) {
  return guarded("routing events", [&] {
    Routed routed;
    PGconn* const connection = connection_->db.handle();
    auto& statements = connection_->statements;
    TransactionGuard transaction(connection);
    Pipeline take(connection);
    take.query("BEGIN ISOLATION LEVEL READ COMMITTED");
    take.host_statement(statements, std::string(sql::kTakeUnroutedEvents.name),
                        std::string(sql::kTakeUnroutedEvents.text), {std::to_string(limit)});
    const auto taken = take.run();
    if (!taken[0].ok()) taken[0].raise("BEGIN");
    transaction.opened();
    if (!taken[1].ok()) taken[1].raise(std::string(sql::kTakeUnroutedEvents.name));
    const PGresult* events = taken[1].result.get();
    const int event_count = PQntuples(events);
    if (event_count == 0) return routed;  // rolled back
    JsonRows executions;
    bool any_execution = false;
    // What a claim would have read, for the executions this host takes on.
    std::map<std::string, ClaimedExecution> to_claim;
    for (int row = 0; row < event_count; ++row) {
      auto document = parse_json(PQgetvalue(events, row, 4));
      EventRecord event{PQgetvalue(events, row, 0), PQgetvalue(events, row, 1), PQgetvalue(events, row, 2),
                        PQgetvalue(events, row, 3), document ? std::move(*document) : Json(nullptr)};
      std::shared_ptr<const Json> shared_document;  // for the executions taken on, made once
      for (auto& execution : route(event)) {
        routed.concurrency_keys = routed.concurrency_keys || execution.concurrency_key.has_value();
        const bool eager =
            claim.start && !execution.concurrency_key && static_cast<int>(to_claim.size()) < claim.limit;
        executions.row();
        add_new_execution_fields(executions, execution);
        executions.flag("claim", eager);
        any_execution = true;
        if (!eager) continue;
        ClaimedExecution& claimed = to_claim[execution.id];
        claimed.id = execution.id;
        claimed.workflow = std::move(execution.workflow);
        claimed.content_hash = std::move(execution.content_hash);
        claimed.version = std::move(execution.version);
        claimed.key = std::move(execution.key);
        claimed.trace_id = std::move(execution.trace_id);
        claimed.input = std::move(execution.input);
        if (!shared_document) shared_document = std::make_shared<const Json>(event.document);
        claimed.event = shared_document;
        claimed.fence = 1;
        claimed.status = execution_status::kRunning;
      }
    }
    std::vector<Lease> leases;
    std::vector<const Checkpoint*> first_checkpoints;  // of leases[i], kept by the caller
    if (any_execution) {
      Pipeline insert(connection);
      insert.host_statement(statements, std::string(sql::kInsertExecutions.name),
                            std::string(sql::kInsertExecutions.text),
                            {executions.finish(), claim.limit > 0 ? std::optional(claim.host_id) : std::nullopt});
      const auto inserted_answer = insert.run();
      if (!inserted_answer[0].ok()) inserted_answer[0].raise(std::string(sql::kInsertExecutions.name));
      const PGresult* inserted = inserted_answer[0].result.get();
      for (int row = 0; row < PQntuples(inserted); ++row) {
        const auto it = to_claim.find(PQgetvalue(inserted, row, 0));
        if (std::string_view(PQgetvalue(inserted, row, 1)) != "t" || it == to_claim.end()) {
          ++routed.unclaimed;
          continue;
        }
        if (const char* deadline = field_text(inserted, row, 2)) it->second.deadline_at = std::atoll(deadline);
        it->second.db_now = std::atoll(PQgetvalue(inserted, row, 3));
        ++routed.claimed;
        leases.push_back(Lease{it->second.id, claim.host_id, it->second.fence});
        if (const auto* checkpoint = claim.start(std::move(it->second))) {
          first_checkpoints.push_back(checkpoint);
        } else {
          leases.pop_back();
        }
      }
    }
    commit_with_first_checkpoints(connection, statements, transaction, leases, first_checkpoints, "created");
    routed.events = event_count;
    return routed;
  });
}

Store::Claimed Store::claim_executions(const std::string& host_id, int limit, const StartFn& start) {
  return guarded("claiming executions", [&] {
    Claimed result;
    PGconn* const connection = connection_->db.handle();
    TransactionGuard transaction(connection);
    Pipeline claim(connection);
    claim.query("BEGIN ISOLATION LEVEL READ COMMITTED");
    claim.host_statement(connection_->statements, std::string(sql::kClaimExecutions.name),
                         std::string(sql::kClaimExecutions.text), {host_id, std::to_string(limit)});
    const auto answers = claim.run();
    if (!answers[0].ok()) answers[0].raise("BEGIN");
    transaction.opened();
    if (!answers[1].ok()) answers[1].raise(std::string(sql::kClaimExecutions.name));
    const PGresult* rows = answers[1].result.get();
    if (PQntuples(rows) == 0) return result;  // rolled back
    std::vector<ClaimedExecution> claimed;
    // Step and compensation rows are written only by an owner's checkpoints, so an
    // execution claimed for the first time has none: only the others are looked up.
    std::vector<std::string> ids, resumed_ids;
    std::vector<bool> first_claim;  // of claimed[i]
    std::vector<std::pair<std::string, std::string>> event_of;
    const auto optional_string = [&](int row, int column) -> std::optional<std::string> {
      const char* text = field_text(rows, row, column);
      return text != nullptr ? std::optional<std::string>(text) : std::nullopt;
    };
    for (int row = 0; row < PQntuples(rows); ++row) {
      ClaimedExecution execution;
      execution.id = PQgetvalue(rows, row, 0);
      execution.workflow = PQgetvalue(rows, row, 1);
      execution.content_hash = PQgetvalue(rows, row, 2);
      execution.version = PQgetvalue(rows, row, 3);
      execution.key = optional_string(row, 4);
      execution.trace_id = PQgetvalue(rows, row, 5);
      auto input = parse_json(PQgetvalue(rows, row, 6));
      execution.input = input ? std::move(*input) : Json(nullptr);
      execution.fence = std::atoll(PQgetvalue(rows, row, 7));
      if (const auto deadline = optional_string(row, 8)) execution.deadline_at = std::atoll(deadline->c_str());
      execution.db_now = std::atoll(PQgetvalue(rows, row, 9));
      execution.status = PQgetvalue(rows, row, 12);
      execution.cancel_requested = std::string_view(PQgetvalue(rows, row, 13)) == "t";
      execution.wake_seq = std::atoll(PQgetvalue(rows, row, 14));
      ids.push_back(execution.id);
      first_claim.push_back(std::atoll(PQgetvalue(rows, row, 15)) == 1);
      if (!first_claim.back()) resumed_ids.push_back(execution.id);
      if (const auto source = optional_string(row, 10)) {
        event_of.emplace_back(*source, PQgetvalue(rows, row, 11));
      } else {
        event_of.emplace_back();
      }
      claimed.push_back(std::move(execution));
    }
    // The reads run in the claim's transaction (libpqxx sends no BEGIN of its own here).
    pqxx::nontransaction txn(connection_->db);
    // Each event once: executions one event started (a fan-out) share its document.
    std::map<std::pair<std::string, std::string>, std::shared_ptr<const Json>> events;
    for (const auto& event : event_of) {
      if (!event.first.empty()) events.emplace(event, nullptr);
    }
    if (!events.empty()) {
      std::vector<std::string> sources, event_ids;
      for (const auto& [event, document] : events) {
        sources.push_back(event.first);
        event_ids.push_back(event.second);
      }
      for (const auto& row : txn.exec_prepared(name_of(sql::kSelectEventDocuments), to_pg_array(sources),
                                               to_pg_array(event_ids)))
        events[{row[0].c_str(), row[1].c_str()}] = std::make_shared<const Json>(json_column(row[2]));
    }
    std::map<std::string, std::size_t> index;
    for (std::size_t i = 0; i < claimed.size(); ++i) {
      index[claimed[i].id] = i;
      if (const auto it = events.find(event_of[i]); it != events.end()) claimed[i].event = it->second;
    }
    if (!resumed_ids.empty()) {
      for (const auto& row : txn.exec_prepared(name_of(sql::kSelectStepStates), to_pg_array(resumed_ids)))
        claimed[index.at(row[0].c_str())].steps.push_back(read_step_state(row, 1));
      for (const auto& row : txn.exec_prepared(name_of(sql::kSelectCompensations), to_pg_array(resumed_ids)))
        claimed[index.at(row[0].c_str())].compensations.push_back(read_step_state(row, 1));
    }
    for (const auto& row : txn.exec_prepared(name_of(sql::kSelectOpenSignals), to_pg_array(ids))) {
      claimed[index.at(row[0].c_str())].signals.push_back(
          {row[1].as<std::int64_t>(), row[2].c_str(), json_column(row[3])});
    }
    // Ends libpqxx's transaction object only (a nontransaction sends nothing):
    // `start` may read on this connection, inside the claim's transaction (the
    // engine loads a version it has not loaded yet with Store::load_definition).
    txn.commit();
    std::vector<Lease> leases;
    std::vector<const Checkpoint*> first_checkpoints;  // of leases[i], kept by the caller
    leases.reserve(claimed.size());
    for (std::size_t i = 0; i < claimed.size(); ++i) {
      auto& execution = claimed[i];
      // A first claim starts like a routed execution unless something already
      // waits for it (a cancel, a signal): resuming handles those.
      const bool fresh = first_claim[i] && !execution.cancel_requested && execution.signals.empty();
      if (!start || !fresh) {
        result.to_resume.push_back(std::move(execution));
        continue;
      }
      Lease lease{execution.id, host_id, execution.fence};
      ++result.started;
      if (const auto* checkpoint = start(std::move(execution))) {
        leases.push_back(std::move(lease));
        first_checkpoints.push_back(checkpoint);
      }
    }
    commit_with_first_checkpoints(connection, connection_->statements, transaction, leases, first_checkpoints,
                                  "claimed");
    return result;
  });
}

}  // namespace weft::store
