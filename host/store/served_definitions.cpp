// What hosts serve for new executions (weft.served_definitions, migration 10)
// and which stored version a start that names none gets (`weft start`, the
// HTTP API). Kept out of the prepared hot-path statements: each runs once per
// start, reload or explicit start.
#include "common/ids.hpp"
#include "store/pg_values.hpp"
#include "store/store_connection.hpp"

#include <pqxx/pqxx>

namespace weft::store {
namespace {

/// The newest stored version of workflow $1; with `prefer_served`, among the
/// versions that live hosts serve first (a process serves what it recorded
/// while one of its weft.hosts rows is live). Ties go to the first stored
/// later, then to the content hash, so every caller chooses the same one.
std::string choose_definition_sql(bool prefer_served) {
  std::string sql =
      "SELECT d.workflow, d.content_hash, d.version, d.source_path, d.yaml, d.scripts::text";
  if (!prefer_served) {
    return sql + " FROM weft.definitions d WHERE d.workflow = $1 ORDER BY d.created_at DESC, d.content_hash LIMIT 1";
  }
  return "WITH live AS ("
         " SELECT s.content_hash, count(*)::int AS hosts FROM weft.served_definitions s"
         "  WHERE s.workflow = $1 AND EXISTS ("
         "   SELECT 1 FROM weft.hosts h WHERE h.process = s.process AND h.dead_at IS NULL"
         "      AND h.heartbeat_at >= now() - h.lease_ms * interval '1 millisecond')"
         "  GROUP BY s.content_hash) " +
         sql +
         ", coalesce(live.hosts, 0) FROM weft.definitions d LEFT JOIN live ON live.content_hash = d.content_hash"
         " WHERE d.workflow = $1 ORDER BY live.hosts IS NULL, d.created_at DESC, d.content_hash LIMIT 1";
}

}  // namespace

const std::string& this_process() {
  static const std::string id = new_uuid();
  return id;
}

void Store::set_served_definitions(const std::vector<ServedVersion>& serving) {
  guarded("recording the definitions this host serves", [&] {
    std::vector<std::string> workflows;
    std::vector<std::string> hashes;
    for (const auto& version : serving) {
      workflows.push_back(version.workflow);
      hashes.push_back(version.content_hash);
    }
    pqxx::work txn(connection_->db);
    // `since` moves only when the version of a workflow changes.
    txn.exec_params(
        "WITH fresh AS (SELECT * FROM unnest($2::text[], $3::text[]) AS f(workflow, content_hash)),"
        " gone AS (DELETE FROM weft.served_definitions s WHERE s.process = $1::uuid"
        "           AND NOT EXISTS (SELECT 1 FROM fresh WHERE fresh.workflow = s.workflow))"
        " INSERT INTO weft.served_definitions AS s (process, workflow, content_hash)"
        " SELECT $1::uuid, workflow, content_hash FROM fresh"
        " ON CONFLICT (workflow, process) DO UPDATE SET content_hash = excluded.content_hash, since = now()"
        "  WHERE s.content_hash <> excluded.content_hash",
        this_process(), to_pg_array(workflows), to_pg_array(hashes));
    // A killed process leaves its rows; they stop counting with its lease and
    // are removed here an hour later (a process that lost its lease rejoins
    // within seconds, keeping them).
    txn.exec_params(
        "DELETE FROM weft.served_definitions s WHERE s.process <> $1::uuid AND NOT EXISTS ("
        " SELECT 1 FROM weft.hosts h WHERE h.process = s.process AND h.heartbeat_at > now() - interval '1 hour')",
        this_process());
    txn.commit();
    return 0;
  });
}

std::optional<ServedDefinition> Store::served_definition(const std::string& workflow) {
  return guarded("choosing the version to start", [&]() -> std::optional<ServedDefinition> {
    pqxx::nontransaction txn(connection_->db);
    const auto rows = txn.exec_params(choose_definition_sql(true), workflow);
    if (rows.empty()) return std::nullopt;
    return ServedDefinition{read_definition(rows[0], 0), rows[0][6].as<int>()};
  });
}

std::optional<DefinitionSnapshot> Store::newest_definition(const std::string& workflow) {
  return guarded("loading the newest stored definition", [&]() -> std::optional<DefinitionSnapshot> {
    pqxx::nontransaction txn(connection_->db);
    const auto rows = txn.exec_params(choose_definition_sql(false), workflow);
    if (rows.empty()) return std::nullopt;
    return read_definition(rows[0], 0);
  });
}

std::vector<StoredVersion> Store::stored_versions() {
  return guarded("listing stored definitions", [&] {
    pqxx::nontransaction txn(connection_->db);
    std::vector<StoredVersion> versions;
    // weft.definitions holds one row per edit of a workflow file: small, read whole.
    const auto rows = txn.exec(
        "SELECT d.workflow, d.content_hash, d.version, d.source_path, (extract(epoch FROM d.created_at) * 1000)::bigint,"
        " (SELECT count(*)::int FROM weft.served_definitions s JOIN weft.hosts h ON h.process = s.process"
        "   WHERE s.workflow = d.workflow AND s.content_hash = d.content_hash AND h.dead_at IS NULL"
        "     AND h.heartbeat_at >= now() - h.lease_ms * interval '1 millisecond')"
        " FROM weft.definitions d ORDER BY d.workflow, d.created_at DESC, d.content_hash");
    for (const auto& row : rows)
      versions.push_back({row[0].c_str(), row[1].c_str(), row[2].c_str(), row[3].c_str(), row[4].as<EpochMillis>(),
                          row[5].as<int>()});
    return versions;
  });
}

std::optional<std::string> Store::workflow_of_file(const std::vector<std::string>& paths) {
  return guarded("looking up a workflow file", [&]() -> std::optional<std::string> {
    pqxx::nontransaction txn(connection_->db);
    const auto rows = txn.exec_params(
        "SELECT workflow FROM weft.definitions WHERE source_path = ANY($1::text[])"
        " ORDER BY created_at DESC, content_hash LIMIT 1",
        to_pg_array(paths));
    if (rows.empty()) return std::nullopt;
    return std::string(rows[0][0].c_str());
  });
}

std::vector<std::string> Store::stored_workflows() {
  return guarded("listing stored workflows", [&] {
    pqxx::nontransaction txn(connection_->db);
    std::vector<std::string> workflows;
    for (const auto& row : txn.exec("SELECT DISTINCT workflow FROM weft.definitions ORDER BY 1"))
      workflows.emplace_back(row[0].c_str());
    return workflows;
  });
}

}  // namespace weft::store
