// The live-execution count per definition version, reported on every reload
// (no version with live executions goes unnoticed). Kept out
// of the prepared hot-path statements: it runs once per reload.
#include "store/pg_values.hpp"
#include "store/sql_errors.hpp"
#include "store/store.hpp"

#include <pqxx/pqxx>

namespace weft::store {

std::vector<LiveVersion> Store::live_versions(const std::vector<std::string>& workflows) {
  try {
    pqxx::nontransaction txn(connection());
    std::vector<LiveVersion> versions;
    const auto rows = txn.exec_params(
        "SELECT workflow, content_hash, version, count(*) FROM weft.executions"
        " WHERE finished_at IS NULL AND workflow = ANY($1::text[])"
        " GROUP BY workflow, content_hash, version ORDER BY workflow, min(created_at)",
        to_pg_array(workflows));
    for (const auto& row : rows)
      versions.push_back(LiveVersion{row[0].c_str(), row[1].c_str(), row[2].c_str(), row[3].as<std::int64_t>()});
    return versions;
  } catch (const std::exception& error) {
    throw StoreError(std::string("counting live executions: ") + describe_sql_error(error));
  }
}

}  // namespace weft::store
