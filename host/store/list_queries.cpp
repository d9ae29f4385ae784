// The API's read side and bulk actions: filtered, keyset-paged lists (no
// OFFSET, no count over the history), bulk cancel, and the backlog that
// health and metrics show. Plain parameterised statements: they run at
// request rate, not per step, so they are not prepared on every connection.
#include "store/pg_values.hpp"
#include "store/store.hpp"
#include "store/store_connection.hpp"

#include <pqxx/pqxx>

namespace weft::store {
namespace {

// $1 workflow, $2 status, $3 key, $4 since (ms), $5 until (ms), $6/$7 after (µs, id).
// Each absent filter is a NULL the planner folds away (unnamed statements are
// planned with their values).
std::string where_clause(const char* time_column) {
  const std::string at = time_column;
  return " WHERE ($1::text IS NULL OR e.workflow = $1) AND ($2::text IS NULL OR e.status = $2)"
         " AND ($3::text IS NULL OR e.key = $3)"
         " AND ($4::bigint IS NULL OR e." + at + " >= 'epoch'::timestamptz + $4 * interval '1 millisecond')"
         " AND ($5::bigint IS NULL OR e." + at + " < 'epoch'::timestamptz + $5 * interval '1 millisecond')"
         " AND ($6::bigint IS NULL OR (e." + at + ", e.id) < ('epoch'::timestamptz + $6 * interval '1 microsecond', $7::uuid))";
}

std::optional<std::int64_t> after_at(const ListFilter& filter) {
  return filter.after ? std::optional<std::int64_t>(filter.after->at_us) : std::nullopt;
}
std::optional<std::string> after_id(const ListFilter& filter) {
  return filter.after ? std::optional<std::string>(filter.after->id) : std::nullopt;
}

pqxx::result select_filtered(pqxx::transaction_base& txn, const std::string& sql, const ListFilter& filter,
                             int limit) {
  return txn.exec_params(sql, text_or_null(filter.workflow), text_or_null(filter.status), text_or_null(filter.key),
                         bigint_or_null(filter.since), bigint_or_null(filter.until), bigint_or_null(after_at(filter)),
                         text_or_null(after_id(filter)), limit);
}

const std::string kSummaryColumns =
    "SELECT e.id::text, e.workflow, e.version, e.status, e.key, e.trace_id,"
    " (extract(epoch FROM e.created_at) * 1000)::bigint, (extract(epoch FROM e.finished_at) * 1000)::bigint";

/// Fills `page.next` from the extra row fetched beyond the limit.
template <typename Row>
void trim(Page<Row>& page, const pqxx::result& result, int limit, int key_column) {
  if (static_cast<int>(result.size()) <= limit) return;
  page.rows.pop_back();
  const auto& last = result[static_cast<pqxx::result::size_type>(limit - 1)];
  page.next = PageKey{last[key_column].as<std::int64_t>(), last[0].c_str()};
}

bool valid_after(const ListFilter& filter) { return !filter.after || is_uuid_text(filter.after->id); }

}  // namespace

Page<ExecutionSummary> Store::page_executions(const ListFilter& filter) {
  return guarded("listing executions", [&] {
    Page<ExecutionSummary> page;
    if (!valid_after(filter)) return page;
    pqxx::nontransaction txn(connection_->db);
    const auto result = select_filtered(
        txn,
        kSummaryColumns + ", (extract(epoch FROM e.created_at) * 1000000)::bigint FROM weft.executions e" +
            where_clause("created_at") + " ORDER BY e.created_at DESC, e.id DESC LIMIT $8 + 1",
        filter, filter.limit);
    for (const auto& row : result) page.rows.push_back(read_summary(row));
    trim(page, result, filter.limit, 8);
    return page;
  });
}

Page<DeadLetter> Store::page_dead_letters(const ListFilter& filter) {
  return guarded("listing the dead-letter queue", [&] {
    Page<DeadLetter> page;
    if (!valid_after(filter)) return page;
    ListFilter failed = filter;
    failed.status = execution_status::kFailed;
    pqxx::nontransaction txn(connection_->db);
    const auto result = select_filtered(
        txn,
        kSummaryColumns +
            ", e.error::text, coalesce(e.error->>'step', ''),"
            " coalesce((SELECT s.attempts FROM weft.steps s WHERE s.execution_id = e.id AND s.step_id = e.error->>'step'), 0),"
            " (extract(epoch FROM e.finished_at) * 1000000)::bigint FROM weft.executions e" +
            where_clause("finished_at") + " ORDER BY e.finished_at DESC, e.id DESC LIMIT $8 + 1",
        failed, filter.limit);
    for (const auto& row : result)
      page.rows.push_back(DeadLetter{read_summary(row), json_column(row[8]), row[9].c_str(), row[10].as<int>()});
    trim(page, result, filter.limit, 11);
    return page;
  });
}

std::int64_t Store::request_cancels(const ListFilter& filter) {
  return guarded("requesting cancels", [&] {
    ListFilter all = filter;
    all.after.reset();
    pqxx::nontransaction txn(connection_->db);
    // One statement: the cancels are requested together, and hosts are woken once.
    const auto sql =
        "WITH changed AS (UPDATE weft.executions e SET cancel_requested = true,"
        " available_at = least(e.available_at, now()), updated_at = now()" +
        where_clause("created_at") +
        " AND e.finished_at IS NULL AND NOT e.cancel_requested RETURNING 1),"
        " notified AS (SELECT pg_notify('weft_work', '') WHERE EXISTS (SELECT 1 FROM changed))"
        " SELECT (SELECT count(*) FROM changed), (SELECT count(*) FROM notified)";
    const auto result = txn.exec_params(sql, text_or_null(all.workflow), text_or_null(all.status),
                                        text_or_null(all.key), bigint_or_null(all.since), bigint_or_null(all.until),
                                        bigint_or_null(std::nullopt), text_or_null(std::nullopt));
    return result[0][0].as<std::int64_t>();
  });
}

std::vector<std::string> Store::dead_letter_ids(const ListFilter& filter, int cap) {
  return guarded("listing dead letters", [&] {
    ListFilter failed = filter;
    failed.status = execution_status::kFailed;
    failed.after.reset();
    pqxx::nontransaction txn(connection_->db);
    std::vector<std::string> ids;
    for (const auto& row : select_filtered(txn,
                                           "SELECT e.id::text FROM weft.executions e" + where_clause("finished_at") +
                                               " ORDER BY e.finished_at, e.id LIMIT $8",
                                           failed, cap))
      ids.emplace_back(row[0].c_str());
    return ids;
  });
}

BacklogSnapshot Store::backlog() {
  return guarded("reading the backlog", [&] {
    pqxx::nontransaction txn(connection_->db);
    BacklogSnapshot snapshot;
    // Each count reads a partial index: its cost follows the live work, not the history.
    for (const auto& row : txn.exec(
             "SELECT workflow, status, count(*) FROM weft.executions WHERE finished_at IS NULL GROUP BY 1, 2 ORDER BY 1, 2"))
      snapshot.live.push_back(LiveCount{row[0].c_str(), row[1].c_str(), row[2].as<std::int64_t>()});
    const auto row = txn.exec1(
        "SELECT (SELECT count(*) FROM weft.executions WHERE status = 'failed'),"
        " (SELECT (extract(epoch FROM now() - min(available_at)) * 1000)::bigint FROM weft.executions"
        "   WHERE owner IS NULL AND finished_at IS NULL AND available_at <= now() AND status = 'pending'),"
        " (SELECT count(*) FROM weft.events WHERE routed_at IS NULL),"
        " (SELECT count(*) FROM weft.hosts WHERE dead_at IS NULL"
        "   AND heartbeat_at > now() - lease_ms * interval '1 millisecond')");
    snapshot.dead_letters = row[0].as<std::int64_t>();
    if (!row[1].is_null()) snapshot.oldest_pending_ms = row[1].as<std::int64_t>();
    snapshot.unrouted_events = row[2].as<std::int64_t>();
    snapshot.live_hosts = row[3].as<std::int64_t>();
    return snapshot;
  });
}

bool Store::ping() {
  try {
    pqxx::nontransaction txn(connection_->db);
    txn.exec1("SELECT 1");
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace weft::store
