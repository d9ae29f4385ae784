// The PostgreSQL store: schema migration, events, definitions, executions,
// step checkpoints, host leases and the read side (status, list, trace).
// One Store is one connection: use it from one thread at a time. Every write
// for an execution is fenced by its Lease (owner + fence) in the same
// statement, so a host that lost an execution can never overwrite it.
#pragma once

#include "store/records.hpp"

#include <algorithm>
#include <chrono>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

struct pg_conn;  // libpq's PGconn

namespace pqxx {
class connection_base;
}  // namespace pqxx

namespace weft::store {

class StepTransaction;
class StatementCache;

/// A database failure the caller cannot fix by changing its input
/// (connection lost, server shutting down, ...). The message is for people.
class StoreError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Creates or upgrades the schema. Safe when several hosts start at once.
void migrate(const std::string& url);

/// Route decisions for one stored event: the executions it starts.
using RouteFn = std::function<std::vector<NewExecution>(const EventRecord&)>;

class Store {
 public:
  /// Connects (throws StoreError with a clear message when it cannot).
  explicit Store(const std::string& url);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // --- definitions -------------------------------------------------------
  void save_definition(const DefinitionSnapshot& snapshot);
  std::optional<DefinitionSnapshot> load_definition(const std::string& workflow,
                                                    const std::string& content_hash);
  /// Versions of these workflows that still have unfinished executions (for reload reports).
  std::vector<LiveVersion> live_versions(const std::vector<std::string>& workflows);
  /// Records what this process's host serves for new executions, one version
  /// per workflow, replacing what it recorded before (the versions must be
  /// stored). Unregistering the host removes the record.
  void set_served_definitions(const std::vector<ServedVersion>& serving);
  /// The version of `workflow` to start when none is named: the one live hosts
  /// serve (the newest stored if they serve different ones), else the newest
  /// stored version (`hosts` is 0). nullopt when no version of it is stored.
  std::optional<ServedDefinition> served_definition(const std::string& workflow);
  /// Every stored version of every workflow, newest first within a workflow.
  std::vector<StoredVersion> stored_versions();
  /// The newest stored version of `workflow` (its last valid one).
  std::optional<DefinitionSnapshot> newest_definition(const std::string& workflow);
  /// The workflow whose newest stored version was loaded from one of these
  /// files (`source_path` as recorded); nullopt when none was.
  std::optional<std::string> workflow_of_file(const std::vector<std::string>& paths);
  /// Every workflow with a stored version, sorted.
  std::vector<std::string> stored_workflows();

  // --- intake and routing ------------------------------------------------
  /// Stores an event durably; false when (source, id) was already stored.
  bool insert_event(const EventRecord& event);
  /// Stores a batch in one statement (one commit); for each event, whether it was new.
  std::vector<bool> insert_events(const std::vector<EventRecord>& events);
  /// Starts a run for an execution just taken on: the first checkpoint to
  /// write in the same transaction (its first steps started), or null.
  using StartFn = std::function<const Checkpoint*(ClaimedExecution)>;
  /// Who routes, and how many of the executions routing starts it takes on at once.
  struct EagerClaim {
    std::string host_id;
    int limit = 0;
    /// Called inside the routing transaction for each execution taken on: the
    /// first checkpoint to write in that transaction (its first steps started),
    /// or null. The caller keeps it alive until route_events returns. Throwing
    /// rolls the whole routing transaction back. Without it nothing is taken on.
    StartFn start;
  };
  struct Routed {
    int events = 0;
    int claimed = 0;    // executions taken on (each passed to EagerClaim::start)
    int unclaimed = 0;  // left for any host to claim (or to admit, with a concurrency key)
    bool concurrency_keys = false;  // some wait for admission
  };
  /// Takes up to `limit` unrouted events (skipping ones another host routes),
  /// asks `route` what each starts, inserts those executions and marks the
  /// events routed, all in one transaction. Up to `claim.limit` of the new
  /// executions without a concurrency key are owned by `claim.host_id` from
  /// the start (fence 1, one claim), if that host is live, and their first
  /// checkpoints commit with them: the router runs them without a round of
  /// claiming or a commit of its own. The others are announced to all hosts.
  Routed route_events(int limit, const RouteFn& route, const EagerClaim& claim);
  /// Starts one execution, or finds the one that already holds its key.
  StartResult start_execution(const NewExecution& execution);

  // --- claiming and checkpoints -----------------------------------------
  struct Claimed {
    std::vector<ClaimedExecution> to_resume;  // for the caller to resume
    int started = 0;                          // passed to `start`, first checkpoints committed
  };
  /// Claims up to `limit` due, unowned executions for `host_id` in one
  /// transaction. Those claimed for the first time, with no cancel or signal
  /// waiting, are passed to `start` as routing does (EagerClaim::start) and
  /// their first checkpoints commit with the claim: no commit of their own
  /// before their first steps. The rest come back to be resumed. Throwing
  /// from `start` rolls the claim back.
  Claimed claim_executions(const std::string& host_id, int limit, const StartFn& start = {});
  /// Lets pending executions with a concurrency key start, oldest first, while
  /// their key has fewer than its limit started and unfinished. Returns how many.
  int admit_pending();
  /// Milliseconds until the next unowned execution becomes claimable; nullopt if none.
  std::optional<std::int64_t> next_claimable_in();
  /// Writes one checkpoint in one statement. False: fenced out (nothing written).
  bool checkpoint(const Lease& lease, const Checkpoint& checkpoint);
  /// One checkpoint of a batch written by checkpoint_batch, and what became of it.
  struct BatchedCheckpoint {
    const Lease* lease = nullptr;
    const Checkpoint* checkpoint = nullptr;
    bool written = false;        // false: fenced out
    std::exception_ptr failure;  // a StoreError; the checkpoint may or may not have committed
  };
  /// Writes several executions' checkpoints in one statement (one commit). If it
  /// fails, nothing of the batch commits and each is written on its own, so
  /// one bad checkpoint costs no other its write. Never throws.
  void checkpoint_batch(const std::vector<BatchedCheckpoint*>& batch);
  /// Executions this host holds in the database (to find ones it lost track of).
  std::vector<Lease> owned_executions(const std::string& host_id);
  /// Gives an execution back (e.g. on shutdown): claimable by any host at once.
  bool release(const Lease& lease);

  // --- named locks ---------------------------------------
  /// Takes `key` for `holder` for `ttl`; its fencing token, or nullopt while another holds it.
  std::optional<std::int64_t> try_lock(const std::string& key, const std::string& holder,
                                       std::chrono::milliseconds ttl);
  /// Releases the grant with this token (a later grant to someone else is left alone).
  void unlock(const std::string& key, std::int64_t token);

  // --- hosts -------------------------------------------------------------
  void register_host(const std::string& host_id, std::chrono::milliseconds lease);
  /// False when this host was declared dead by another one (it must stop working).
  bool heartbeat(const std::string& host_id);
  /// Declares hosts whose lease expired dead and frees their executions; returns how many.
  int reap_expired_hosts(const std::string& my_host_id);
  /// ANALYZEs weft's busy tables that grew past twice what their statistics
  /// say (so that cached plans are made again for their real size); which.
  std::vector<std::string> refresh_statistics();
  /// Graceful exit: frees this host's executions and removes its lease.
  void unregister_host(const std::string& host_id);

  // --- cancel and dead letters --------------------------------------------
  /// Marks an unfinished execution for cancelling and wakes its host. `status`
  /// receives the execution's status when it exists.
  Refusal request_cancel(const std::string& execution_id, std::string& status);
  /// Executions this host owns whose cancel was requested.
  std::vector<std::string> cancel_requested(const std::string& host_id);
  std::vector<DeadLetter> list_dead_letters(int limit);
  /// The execution a signal is meant for (nullopt: no such execution).
  std::optional<SignalTarget> signal_target(const std::string& execution_id);
  /// Stores the signal and wakes the execution in one statement; false if it finished meanwhile.
  bool deliver_signal(const std::string& execution_id, const std::string& name, const Json& data);
  /// Re-runs a failed execution from its failed step (or failed compensation).
  Refusal retry_dead_letter(const std::string& execution_id);

  // --- read side ---------------------------------------------------------
  std::optional<ExecutionDetail> get_execution(const std::string& execution_id);
  /// Newest first: one page of `filter.limit` after `filter.after`.
  Page<ExecutionSummary> page_executions(const ListFilter& filter);
  std::vector<ExecutionSummary> list_executions(const ListFilter& filter) { return page_executions(filter).rows; }
  /// The dead-letter queue, latest failure first, filtered and paged like page_executions.
  Page<DeadLetter> page_dead_letters(const ListFilter& filter);
  /// Requests the cancel of every unfinished execution the filter covers
  /// (limit and page ignored); how many were newly requested.
  std::int64_t request_cancels(const ListFilter& filter);
  /// Ids of the dead letters the filter covers (limit and page ignored), at most `cap`.
  std::vector<std::string> dead_letter_ids(const ListFilter& filter, int cap);
  /// Backlog, dead letters and hosts, for health and metrics.
  BacklogSnapshot backlog();
  /// True when a trivial query answers (readiness).
  bool ping();

  // --- the live stream's change log ---------------------------------------
  /// Up to `limit` changes with seq > `after`, in seq order.
  std::vector<ChangeRecord> changes_after(std::int64_t after, int limit);
  /// The oldest and newest seq kept (0, 0 when there are none).
  std::pair<std::int64_t, std::int64_t> change_bounds();
  /// Deletes up to `batch` changes older than `keep`; how many.
  std::int64_t trim_changes(std::chrono::milliseconds keep, int batch);
  std::vector<TimelineEntry> trace(const std::string& trace_id);
  /// Executions by status for one trace (for `weft emit` follow-ups and tests).
  std::vector<ExecutionSummary> executions_of_trace(const std::string& trace_id);

 private:
  friend class StepTransaction;
  pqxx::connection_base& connection();
  pg_conn* pg_handle();  // libpq's, for pipelines
  StatementCache& statement_cache();

  struct Connection;
  std::unique_ptr<Connection> connection_;
};

/// Waits for wake-up hints (LISTEN/NOTIFY) on its own connection.
class Notifier {
 public:
  Notifier(const std::string& url, const std::vector<std::string>& channels);
  ~Notifier();
  Notifier(const Notifier&) = delete;
  Notifier& operator=(const Notifier&) = delete;
  /// What ended a wait; several may hold at once.
  struct Wakeup {
    std::vector<std::string> channels;  // that received notifications
    bool poked = false;                 // `wake_fd` was signalled
    bool timed_out() const { return channels.empty() && !poked; }
    bool on(std::string_view channel) const {
      return std::find(channels.begin(), channels.end(), channel) != channels.end();
    }
  };
  /// Blocks up to `timeout`, or until a notification arrives or `wake_fd` (an
  /// eventfd, -1 for none) is readable.
  Wakeup wait(std::chrono::milliseconds timeout, int wake_fd = -1);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Channel names used for wake-up hints.
inline constexpr const char* kEventsChannel = "weft_events";
inline constexpr const char* kWorkChannel = "weft_work";

}  // namespace weft::store
