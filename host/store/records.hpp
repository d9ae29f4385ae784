// Plain records exchanged with the store. No libpqxx types leave store/.
// Times are milliseconds since the Unix epoch, as the database clock saw them.
#pragma once

#include "common/json.hpp"

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace weft::store {

using EpochMillis = std::int64_t;

struct EventRecord {
  std::string source;
  std::string id;
  std::string type;
  std::string trace_id;
  Json document;  // the CloudEvent as received, defaults filled in
};

struct DefinitionSnapshot {
  std::string workflow;
  std::string content_hash;
  std::string version;
  std::string source_path;
  std::string yaml;
  std::map<std::string, std::string> scripts;  // path as written -> content
};

/// The version of one workflow that a host serves for new executions.
struct ServedVersion {
  std::string workflow;
  std::string content_hash;
};

/// The stored version to start when none is named (Store::served_definition).
struct ServedDefinition {
  DefinitionSnapshot snapshot;
  /// Live hosts that serve it; 0 when none serves the workflow and this is
  /// its newest stored version.
  int hosts = 0;
};

/// One stored version of a workflow, with how many live hosts serve it.
struct StoredVersion {
  std::string workflow;
  std::string content_hash;
  std::string version;
  std::string source_path;
  EpochMillis created_at = 0;
  int hosts = 0;
};

/// How many unfinished executions one stored version of a workflow still has.
struct LiveVersion {
  std::string workflow;
  std::string content_hash;
  std::string version;
  std::int64_t live = 0;
};

struct NewExecution {
  std::string id;  // a fresh UUID
  std::string workflow;
  std::string content_hash;
  std::string version;
  std::optional<std::string> key;
  std::string trace_id;
  std::optional<std::string> event_source;  // set when an event started it
  std::optional<std::string> event_id;
  Json input;
  std::optional<std::int64_t> timeout_ms;  // whole-execution timeout, counted from the first claim
  std::optional<std::string> concurrency_key;  // with a limit: at most that many started per key
  std::optional<int> concurrency_limit;
};

/// What inserting an execution did: a new one, or the one that already holds the key.
struct StartResult {
  std::string execution_id;
  bool created = false;
};

/// Attempts of the compensation of step X are recorded as step "compensate:X".
inline constexpr const char* kCompensationPrefix = "compensate:";

/// Step statuses as stored.
namespace step_status {
inline constexpr const char* kRunning = "running";
inline constexpr const char* kRetrying = "retrying";
inline constexpr const char* kCompleted = "completed";
inline constexpr const char* kFailed = "failed";
inline constexpr const char* kSkipped = "skipped";
inline constexpr const char* kCompensating = "compensating";
inline constexpr const char* kCompensated = "compensated";
}  // namespace step_status

/// Execution statuses as stored.
namespace execution_status {
inline constexpr const char* kPending = "pending";
inline constexpr const char* kRunning = "running";
inline constexpr const char* kWaiting = "waiting";
inline constexpr const char* kCompensating = "compensating";
inline constexpr const char* kCompensated = "compensated";
inline constexpr const char* kCompleted = "completed";
inline constexpr const char* kFailed = "failed";
inline constexpr const char* kCancelled = "cancelled";
inline constexpr const char* kTimedOut = "timed_out";
}  // namespace execution_status

struct StepState {
  std::string step_id;
  std::string status;
  int attempts = 0;
  Json input;
  Json output;
  Json error;
  std::optional<EpochMillis> next_attempt_at;
  std::optional<EpochMillis> started_at;
  std::optional<EpochMillis> finished_at;
  std::optional<std::int64_t> done_seq;  // completion order (steps only)
  int attempt_base = 0;  // attempts before a dead-letter retry
};

/// An execution this host now owns, with what it needs to carry on.
struct ClaimedExecution {
  std::string id;
  std::string workflow;
  std::string content_hash;
  std::string version;
  std::optional<std::string> key;
  std::string trace_id;
  Json input;
  /// The triggering CloudEvent, null when started by API/CLI; shared by the
  /// executions one event started (a fan-out event is read and kept once).
  std::shared_ptr<const Json> event;
  std::int64_t fence = 0;
  std::optional<EpochMillis> deadline_at;
  EpochMillis db_now = 0;  // the database clock at claim time
  std::string status;      // as stored when claimed
  bool cancel_requested = false;
  std::int64_t wake_seq = 0;  // see Checkpoint::Park
  std::vector<StepState> steps;
  std::vector<StepState> compensations;  // keyed by the step they undo
  struct Signal {
    std::int64_t id = 0;
    std::string name;
    Json data;
  };
  std::vector<Signal> signals;  // delivered, not yet consumed, oldest first
};

/// The owner's proof of ownership; every write for the execution is conditional on it.
struct Lease {
  std::string execution_id;
  std::string host_id;
  std::int64_t fence = 0;
};

struct AttemptRecord {
  std::string step_id;
  int attempt = 1;
  std::string status;  // completed | failed
  Json error;          // null when completed
  EpochMillis started_at = 0;
  EpochMillis finished_at = 0;
  Json info;           // lock waits and holds, ...; null if none
};

/// A step row to write, and for a step that will retry, how long until it may.
struct StepWrite {
  StepState state;
  std::optional<std::int64_t> retry_delay_ms;  // next_attempt_at = database now + delay
};

/// One checkpoint: an attempt's end, step rows (the finished step, steps that
/// start or are skipped because of it), and optionally the execution's end.
/// Written in one statement, so it commits or not as a whole.
struct Checkpoint {
  std::vector<AttemptRecord> attempts;
  std::vector<StepWrite> steps;
  std::vector<StepWrite> compensations;  // rows of weft.compensations (state.step_id = the undone step)
  std::optional<std::string> status;      // a new execution status that does not finish it
  std::vector<std::int64_t> consumed_signals;  // signals a wait step took (ids)
  std::vector<EventRecord> events;             // ctx.emit follow-ups: stored only with this checkpoint
  /// Hands the execution back as `waiting` until a timer or a signal wakes it.
  struct Park {
    std::int64_t wake_in_ms = 0;
    std::int64_t seen_wake_seq = 0;  // a newer signal makes it claimable at once
  };
  std::optional<Park> park;
  struct Finish {
    std::string status;
    Json output;
    Json error;
  };
  std::optional<Finish> finish;
};

struct ExecutionSummary {
  std::string id;
  std::string workflow;
  std::string version;
  std::string status;
  std::optional<std::string> key;
  std::string trace_id;
  EpochMillis created_at = 0;
  std::optional<EpochMillis> finished_at;
};

struct AttemptView {
  int attempt = 0;
  std::string status;
  Json error;
  EpochMillis started_at = 0;
  EpochMillis finished_at = 0;
  Json info;
};

struct StepView {
  StepState state;
  std::vector<AttemptView> attempts;
};

struct ExecutionDetail {
  ExecutionSummary summary;
  bool cancel_requested = false;
  std::vector<StepView> compensations;
  std::string content_hash;
  Json input;
  Json output;
  Json error;
  std::optional<EpochMillis> started_at;
  std::vector<StepView> steps;  // in the order they started
};

/// A position in a list ordered newest first: the row's time (microseconds
/// since the Unix epoch) and id. A page continues strictly after it.
struct PageKey {
  std::int64_t at_us = 0;
  std::string id;
};

/// Which executions a list (or a bulk action) covers. Times bound `created_at`
/// ([since, until)); for the dead-letter queue, `finished_at`.
struct ListFilter {
  std::optional<std::string> workflow;
  std::optional<std::string> status;
  int limit = 50;
  std::optional<std::string> key = std::nullopt;
  std::optional<EpochMillis> since = std::nullopt;
  std::optional<EpochMillis> until = std::nullopt;
  std::optional<PageKey> after = std::nullopt;
};

template <typename Row>
struct Page {
  std::vector<Row> rows;
  std::optional<PageKey> next;  // set when more rows follow
};

/// Unfinished executions of one workflow in one status.
struct LiveCount {
  std::string workflow;
  std::string status;
  std::int64_t count = 0;
};

/// One status change of an execution (step empty), a step, or a compensation
/// (`compensate:<step>`), as the live stream shows it.
struct ChangeRecord {
  std::int64_t seq = 0;
  EpochMillis at = 0;
  std::string execution_id;
  std::string workflow;
  std::string trace_id;
  std::string step;
  std::string status;
};

/// What health and metrics read from the database, in one round trip.
struct BacklogSnapshot {
  std::vector<LiveCount> live;
  std::int64_t dead_letters = 0;
  std::optional<std::int64_t> oldest_pending_ms;  // age of the oldest claimable execution
  std::int64_t unrouted_events = 0;
  std::int64_t live_hosts = 0;
};

/// One entry of the dead-letter queue.
struct DeadLetter {
  ExecutionSummary summary;
  Json error;  // the execution's error: code, message, step, ...
  std::string step;  // the failing step (or compensation)
  int attempts = 0;
};

/// Why a cancel or a dead-letter retry was refused (nothing was changed).
enum class Refusal : std::uint8_t { None, NotFound, Finished, NotFinished, AlreadyRequested, NotDeadLetter };

/// What `signal` needs to know about the execution before delivering one.
struct SignalTarget {
  std::string workflow;
  std::string content_hash;
  std::string status;
  bool finished = false;
};

/// One line of a trace's timeline.
struct TimelineEntry {
  EpochMillis at = 0;
  std::string kind;  // event.received, execution.created, step.attempt, execution.finished, ...
  std::string execution_id;
  std::string workflow;
  std::string step_id;
  Json detail;
};

}  // namespace weft::store
