// The change log behind /v1/stream (migration 12): read in seq order, and
// trimmed in small batches so it never holds long locks.
#include "store/pg_values.hpp"
#include "store/store.hpp"
#include "store/store_connection.hpp"

#include <pqxx/pqxx>

namespace weft::store {

std::vector<ChangeRecord> Store::changes_after(std::int64_t after, int limit) {
  return guarded("reading status changes", [&] {
    pqxx::nontransaction txn(connection_->db);
    std::vector<ChangeRecord> changes;
    // The execution row holds what filters need; a change of an execution deleted since is left out.
    for (const auto& row : txn.exec_params(
             "SELECT c.seq, (extract(epoch FROM c.at) * 1000)::bigint, c.execution_id::text, e.workflow, e.trace_id,"
             " coalesce(c.step_id, ''), c.status"
             " FROM weft.changes c JOIN weft.executions e ON e.id = c.execution_id"
             " WHERE c.seq > $1 ORDER BY c.seq LIMIT $2",
             static_cast<long long>(after), limit)) {
      changes.push_back(ChangeRecord{row[0].as<std::int64_t>(), row[1].as<EpochMillis>(), row[2].c_str(),
                                     row[3].c_str(), row[4].c_str(), row[5].c_str(), row[6].c_str()});
    }
    return changes;
  });
}

std::pair<std::int64_t, std::int64_t> Store::change_bounds() {
  return guarded("reading status changes", [&] {
    pqxx::nontransaction txn(connection_->db);
    const auto row = txn.exec1("SELECT coalesce(min(seq), 0), coalesce(max(seq), 0) FROM weft.changes");
    return std::pair{row[0].as<std::int64_t>(), row[1].as<std::int64_t>()};
  });
}

std::int64_t Store::trim_changes(std::chrono::milliseconds keep, int batch) {
  return guarded("trimming status changes", [&] {
    pqxx::nontransaction txn(connection_->db);
    return txn
        .exec_params1("WITH old AS (SELECT seq FROM weft.changes WHERE at < now() - $1 * interval '1 millisecond'"
                      " ORDER BY seq LIMIT $2 FOR UPDATE SKIP LOCKED)"
                      " , gone AS (DELETE FROM weft.changes c USING old WHERE c.seq = old.seq RETURNING 1)"
                      " SELECT count(*) FROM gone",
                      static_cast<long long>(keep.count()), batch)[0]
        .as<std::int64_t>();
  });
}

}  // namespace weft::store
