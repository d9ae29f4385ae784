#include "bench_db.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <chrono>
#include <random>
#include <stdexcept>

namespace weft::bench {
namespace {

std::string random_trace_id() {
  static thread_local std::mt19937_64 random{std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id(32, '0');
  for (auto& c : id) c = kHex[random() % 16];
  id[0] = '1';  // never all zeros
  return id;
}

std::string utc_now() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return buffer;
}

// Ids are the bench's own ([a-z0-9-]), so a plain array literal is safe.
std::string array_literal(const std::vector<std::string>& values) {
  std::string text = "{";
  for (const auto& value : values) text += (text.size() > 1 ? "," : "") + value;
  return text + "}";
}

// Where each latency starts; fixed strings, never user input.
const char* start_column(LatencyFrom from) {
  switch (from) {
    case LatencyFrom::EventReceived: return "e.received_at";
    case LatencyFrom::ExecutionCreated: return "x.created_at";
    case LatencyFrom::SignalCreated: return "s.created_at";
  }
  return "x.created_at";
}

}  // namespace

std::string with_database(const std::string& url, const std::string& database) {
  const auto at = url.find("@/");
  const auto query = url.find('?', at);
  if (at == std::string::npos || query == std::string::npos)
    throw std::runtime_error("unexpected database URL shape: " + url);
  return url.substr(0, at + 2) + database + url.substr(query);
}

void recreate_database(const std::string& any_url, const std::string& database) {
  pqxx::connection admin(with_database(any_url, "postgres"));
  pqxx::nontransaction txn(admin);
  txn.exec("DROP DATABASE IF EXISTS " + txn.quote_name(database) + " WITH (FORCE)");
  txn.exec("CREATE DATABASE " + txn.quote_name(database));
}

void create_bench_tables(const std::string& url, int inventory_rows) {
  pqxx::connection connection(url);
  pqxx::work txn(connection);
  txn.exec(R"sql(
CREATE SCHEMA bench;
CREATE TABLE bench.inventory (sku int PRIMARY KEY, stock bigint NOT NULL) WITH (fillfactor = 80);
CREATE TABLE bench.orders (order_id text PRIMARY KEY, sku int NOT NULL, qty int NOT NULL,
                           amount numeric NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE bench.baseline_executions (id bigint PRIMARY KEY, workflow text NOT NULL, status text NOT NULL,
                                        input jsonb NOT NULL, output jsonb,
                                        created_at timestamptz NOT NULL DEFAULT now(), finished_at timestamptz);
CREATE TABLE bench.baseline_steps (execution_id bigint NOT NULL REFERENCES bench.baseline_executions,
                                   step_id text NOT NULL, output jsonb,
                                   finished_at timestamptz NOT NULL DEFAULT now(),
                                   PRIMARY KEY (execution_id, step_id));
CREATE TABLE bench.raw_checkpoints (id bigint PRIMARY KEY, output jsonb,
                                    finished_at timestamptz NOT NULL DEFAULT now());
)sql");
  txn.exec_params("INSERT INTO bench.inventory SELECT g, 1000000000 FROM generate_series(1, $1) g",
                  inventory_rows);
  txn.commit();
}

void vacuum_database(const std::string& url) {
  pqxx::connection connection(url);
  pqxx::nontransaction txn(connection);
  txn.exec("VACUUM (ANALYZE)");
}

double probe_commit_ms(const std::string& url, int samples) {
  pqxx::connection connection(url);
  {
    pqxx::nontransaction txn(connection);
    txn.exec("CREATE TABLE IF NOT EXISTS bench.commit_probe (id int)");
  }
  std::vector<double> durations;
  for (int i = 0; i < samples; ++i) {
    const auto start = std::chrono::steady_clock::now();
    pqxx::nontransaction txn(connection);
    txn.exec_params("INSERT INTO bench.commit_probe VALUES ($1)", i);
    durations.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(durations.begin(), durations.end());
  return durations[durations.size() / 2];
}

BenchDb::BenchDb(const std::string& url) : connection_(url) {}

pqxx::result BenchDb::run(const std::string& sql) {
  pqxx::nontransaction txn(connection_);
  ++own_transactions_;
  return txn.exec(sql);
}

template <typename... Args>
pqxx::result BenchDb::run_params(const std::string& sql, Args&&... args) {
  pqxx::nontransaction txn(connection_);
  ++own_transactions_;
  return txn.exec_params(sql, std::forward<Args>(args)...);
}

void BenchDb::insert_events(const std::string& source, const std::string& type,
                            const std::vector<std::string>& ids, const std::vector<std::string>& data_json) {
  boost::json::array records;
  const auto time = utc_now();
  for (std::size_t i = 0; i < ids.size(); ++i) {
    const auto trace_id = random_trace_id();
    boost::json::object document{{"specversion", "1.0"}, {"id", ids[i]}, {"source", source}, {"type", type},
                                 {"time", time}, {"traceid", trace_id},
                                 {"data", boost::json::parse(data_json[i])}};
    records.push_back(boost::json::object{{"id", ids[i]}, {"trace_id", trace_id}, {"document", document}});
  }
  // The statement intake runs (host/store/statements.hpp kInsertEvents), with the
  // source and type shared by the batch.
  run_params(R"sql(
WITH ins AS (
  INSERT INTO weft.events (source, id, type, trace_id, document)
  SELECT $1, e.id, $2, e.trace_id, e.document
    FROM jsonb_to_recordset($3::jsonb) AS e(id text, trace_id text, document jsonb)
  ON CONFLICT DO NOTHING RETURNING 1),
notified AS (SELECT pg_notify('weft_events', '') FROM (SELECT 1 FROM ins LIMIT 1) one)
SELECT (SELECT count(*) FROM ins), (SELECT count(*) FROM notified)
)sql",
             source, type, boost::json::serialize(records));
}

std::vector<std::string> BenchDb::finished_of(const std::string& workflow, const std::string& source,
                                              const std::vector<std::string>& event_ids) {
  // Prepared, so that a poll is not planned each time (planning cost more than
  // running it), and one index probe per outstanding event whatever the
  // statistics say: a lateral subquery with a LIMIT is never flattened into a
  // join. Joined instead, a generic plan made while executions was small
  // scanned every execution of the source per poll (up to 21 ms, measured with
  // auto_explain). Either took CPU from the host being measured.
  if (!finished_of_prepared_) {
    connection_.prepare("finished_of",
                        "SELECT f.event_id FROM unnest($3::text[]) AS k(id)"
                        " CROSS JOIN LATERAL (SELECT x.event_id FROM weft.executions x"
                        "   WHERE x.workflow = $1 AND x.event_source = $2 AND x.event_id = k.id"
                        "     AND x.finished_at IS NOT NULL LIMIT 1) f");
    finished_of_prepared_ = true;
  }
  pqxx::nontransaction txn(connection_);
  ++own_transactions_;
  const auto rows = txn.exec_prepared("finished_of", workflow, source, array_literal(event_ids));
  std::vector<std::string> finished;
  for (const auto& row : rows) finished.push_back(row[0].as<std::string>());
  return finished;
}

long long BenchDb::unfinished() {
  // Each part reads a partial index: events_unrouted, executions_claimable, executions_owner.
  return run(R"sql(
SELECT (SELECT count(*) FROM weft.events WHERE routed_at IS NULL)
     + (SELECT count(*) FROM weft.executions WHERE owner IS NULL AND finished_at IS NULL)
     + (SELECT count(*) FROM weft.executions WHERE owner IS NOT NULL AND finished_at IS NULL)
)sql")[0][0].as<long long>();
}

bool BenchDb::any_unfinished() {
  return run(R"sql(
SELECT EXISTS (SELECT FROM weft.events WHERE routed_at IS NULL)
    OR EXISTS (SELECT FROM weft.executions WHERE owner IS NULL AND finished_at IS NULL)
    OR EXISTS (SELECT FROM weft.executions WHERE owner IS NOT NULL AND finished_at IS NULL)
)sql")[0][0].as<bool>();
}

long long BenchDb::stored_events(const std::string& source) {
  return run_params("SELECT count(*) FROM weft.events WHERE source = $1", source)[0][0].as<long long>();
}

long long BenchDb::waiting() {
  return run("SELECT count(*) FROM weft.executions WHERE owner IS NULL AND finished_at IS NULL"
             " AND status = 'waiting'")[0][0]
      .as<long long>();
}

long long BenchDb::signal_all(const std::string& source, const std::string& name) {
  // kDeliverSignal of host/store/statements.hpp, for all of them at once.
  return run_params(R"sql(
WITH target AS (
  UPDATE weft.executions SET wake_seq = wake_seq + 1, available_at = least(available_at, now()),
                             updated_at = now()
   WHERE event_source = $1 AND finished_at IS NULL RETURNING id),
delivered AS (
  INSERT INTO weft.signals (execution_id, name, data)
  SELECT id, $2, '{"by":"bench"}'::jsonb FROM target RETURNING id),
notified AS (SELECT pg_notify('weft_work', '') FROM (SELECT 1 FROM delivered LIMIT 1) one)
SELECT (SELECT count(*) FROM delivered), (SELECT count(*) FROM notified)
)sql",
                    source, name)[0][0]
      .as<long long>();
}

bool BenchDb::host_registered(int pid) {
  try {
    return !run_params("SELECT 1 FROM weft.hosts WHERE pid = $1 AND dead_at IS NULL"
                       " AND started_at > now() - interval '1 minute'",
                       pid)
                .empty();
  } catch (const pqxx::sql_error&) {
    return false;  // the first host has not created the schema yet
  }
}

DbCounters BenchDb::counters() {
  const auto row = run(
      "SELECT (SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()),"
      " pg_snapshot_xmax(pg_current_snapshot())::text::bigint")[0];
  return {row[0].as<long long>(), row[1].as<long long>()};
}

ExecutionStats BenchDb::execution_stats(const std::string& source, const std::string& expected_status,
                                        LatencyFrom from) {
  run("ANALYZE weft.executions, weft.events, weft.signals");  // fresh statistics: a good plan for the join below
  const std::string start = start_column(from);
  const std::string joins =
      from == LatencyFrom::SignalCreated
          ? " JOIN weft.signals s ON s.execution_id = x.id"
          : " JOIN weft.events e ON e.source = x.event_source AND e.id = x.event_id";
  const auto row = run_params(
      "SELECT count(*), count(*) FILTER (WHERE x.status = $2 AND x.finished_at IS NOT NULL),"
      " coalesce(extract(epoch FROM max(x.finished_at) - min(" + start + ")), 0)::float8,"
      " coalesce(percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM x.finished_at - " + start +
      ")), 0) * 1000,"
      " coalesce(percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM x.finished_at - " + start +
      ")), 0) * 1000"
      " FROM weft.executions x" + joins + " WHERE x.event_source = $1",
      source, expected_status)[0];
  return {row[0].as<long long>(), row[1].as<long long>(), row[2].as<double>(), row[3].as<double>(),
          row[4].as<double>()};
}

double BenchDb::step_attempt_mean_ms(const std::string& source, const std::string& step) {
  return run_params(
      "SELECT coalesce(avg(extract(epoch FROM a.finished_at - a.started_at)), 0)::float8 * 1000"
      " FROM weft.attempt_history a JOIN weft.executions x ON x.id = a.execution_id"
      " WHERE x.event_source = $1 AND a.step_id = $2",
      source, step)[0][0]
      .as<double>();
}

std::optional<double> BenchDb::routing_us_per_match(const std::string& source) {
  // All executions one routing transaction creates share its now(): the span from
  // the first batch to the last covers every batch but the last, back to back.
  // The routing transaction also starts the executions its host takes on (their
  // started_at is its now() as well), so a single batch is timed up to the first
  // attempt of what it created, which starts only once it has committed.
  const auto row = run_params(R"sql(
WITH x AS (SELECT id, created_at FROM weft.executions WHERE event_source = $1)
SELECT (SELECT count(DISTINCT created_at) FROM x),
       extract(epoch FROM (SELECT max(created_at) - min(created_at) FROM x))::float8,
       (SELECT count(*) FROM x WHERE created_at < (SELECT max(created_at) FROM x)),
       extract(epoch FROM (SELECT min(a.started_at) FROM weft.attempt_history a JOIN x ON a.execution_id = x.id)
                          - (SELECT min(created_at) FROM x))::float8,
       (SELECT count(*) FROM x)
)sql",
                              source)[0];
  if (row[0].is_null() || row[4].as<long long>() == 0) return std::nullopt;
  if (row[0].as<long long>() >= 2 && row[2].as<long long>() > 0)
    return row[1].as<double>() * 1e6 / row[2].as<double>();
  // One batch: it ended no later than the first attempt of what it created.
  if (row[3].is_null()) return std::nullopt;
  return row[3].as<double>() * 1e6 / row[4].as<double>();
}

double BenchDb::clock_ms() {
  return run("SELECT extract(epoch FROM clock_timestamp())::float8 * 1000")[0][0].as<double>();
}

std::optional<double> BenchDb::last_finished_ms(const std::string& source) {
  const auto field = run_params("SELECT extract(epoch FROM max(finished_at))::float8 * 1000 FROM weft.executions"
                                " WHERE event_source = $1",
                                source)[0][0];
  if (field.is_null()) return std::nullopt;
  return field.as<double>();
}

void BenchDb::prefer_index_scans() { run("SET enable_seqscan = off"); }

void BenchDb::flush_statistics() { run("SELECT pg_stat_force_next_flush()"); }

std::string BenchDb::server_version() { return run("SHOW server_version")[0][0].as<std::string>(); }

}  // namespace weft::bench
