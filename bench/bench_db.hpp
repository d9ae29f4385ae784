// The benchmark's side of the database: its own tables, the events it feeds in
// (the same rows and NOTIFY as `weft emit`), progress polls and the numbers it
// reads back. It knows weft only through the schema (weft.events,
// weft.executions, weft.hosts, weft.signals), never through the host's code.
#pragma once

#include <pqxx/pqxx>

#include <optional>
#include <string>
#include <vector>

namespace weft::bench {

/// The URL of the same cluster with another database name.
std::string with_database(const std::string& url, const std::string& database);

/// Drops and recreates `database` (from the cluster's `postgres` database).
void recreate_database(const std::string& any_url, const std::string& database);

/// The bench's own tables: bench.inventory (10,000 rows), bench.orders and the
/// baseline's bench.baseline_executions / bench.baseline_steps / bench.raw_checkpoints.
void create_bench_tables(const std::string& url, int inventory_rows);

/// VACUUM ANALYZE of the whole bench database, so that every scenario starts
/// without the dead rows and stale plans of the ones before it.
void vacuum_database(const std::string& url);

/// p50 in ms of `samples` single-row INSERT commits, one after another: what one
/// durable commit costs on this machine right now (it varies a lot on shared disks).
double probe_commit_ms(const std::string& url, int samples);

/// What the database counted so far: commits (read-only ones too) and the next
/// transaction id, whose delta counts transactions that wrote something.
struct DbCounters {
  long long commits = 0;
  long long next_xid = 0;
};

/// Latency and throughput of the executions of one event source, from the database.
struct ExecutionStats {
  long long total = 0;
  long long with_status = 0;  ///< how many ended with the expected status
  double seconds = 0;         ///< first `from` to last finished_at
  double p50_ms = 0;
  double p99_ms = 0;
};

/// Where latency starts: when the event was stored, when routing created the execution,
/// or when its signal was stored.
enum class LatencyFrom { EventReceived, ExecutionCreated, SignalCreated };

/// One connection, with a count of the transactions it ran (so they can be
/// subtracted from the database's counters).
class BenchDb {
 public:
  explicit BenchDb(const std::string& url);

  /// Inserts events exactly as intake does (one statement, one commit, NOTIFY weft_events).
  void insert_events(const std::string& source, const std::string& type,
                     const std::vector<std::string>& ids, const std::vector<std::string>& data_json);
  /// Of `event_ids` (of `source`), the ones whose execution of `workflow` has finished.
  std::vector<std::string> finished_of(const std::string& workflow, const std::string& source,
                                       const std::vector<std::string>& event_ids);
  /// Unrouted events plus unfinished executions (all workflows).
  long long unfinished();
  /// Whether unfinished() is above zero, without counting.
  bool any_unfinished();
  /// Unfinished executions parked with status `waiting`.
  long long waiting();
  /// Events stored from `source`.
  long long stored_events(const std::string& source);
  /// Signals every waiting execution of `source` with `name`, as `weft signal` does
  /// (a signals row, wake_seq bumped, available_at now, NOTIFY weft_work), in one commit.
  long long signal_all(const std::string& source, const std::string& name);
  /// True once a live host row with this pid exists.
  bool host_registered(int pid);

  DbCounters counters();
  ExecutionStats execution_stats(const std::string& source, const std::string& expected_status,
                                 LatencyFrom from);
  /// Mean of (finished_at - started_at) of the attempts of `step` of `source`'s executions.
  double step_attempt_mean_ms(const std::string& source, const std::string& step);
  /// Routing time per matched workflow in µs, from the executions' created_at (see README).
  std::optional<double> routing_us_per_match(const std::string& source);
  std::string server_version();
  /// The database server's clock (ms since the epoch), to compare with its timestamps.
  double clock_ms();
  /// When the last execution of `source` finished (ms since the epoch), if one has.
  std::optional<double> last_finished_ms(const std::string& source);
  /// Makes this connection's statistics visible to others now (PostgreSQL 15
  /// otherwise flushes them up to a second later).
  void flush_statistics();

  /// Keeps this connection's polls index probes while a table outgrows the
  /// statistics of its last ANALYZE (taken when it was empty).
  void prefer_index_scans();

  /// Transactions this connection committed (each statement here is one).
  long long own_transactions() const { return own_transactions_; }
  pqxx::connection& connection() { return connection_; }

 private:
  pqxx::result run(const std::string& sql);
  template <typename... Args>
  pqxx::result run_params(const std::string& sql, Args&&... args);

  pqxx::connection connection_;
  long long own_transactions_ = 0;
  bool finished_of_prepared_ = false;
};

}  // namespace weft::bench
