// Forward-only schema migrations, applied at start under an advisory lock so
// that hosts starting together apply each one exactly once.
#include "store/sql_errors.hpp"
#include "store/store.hpp"

#include <pqxx/pqxx>

#include <string_view>

namespace weft::store {
namespace {

struct Migration {
  int version;
  std::string_view description;
  std::string_view sql;
};

// Never edit a migration that has shipped: add a new one.
constexpr Migration kMigrations[] = {
    {1, "initial schema", R"sql(
CREATE TABLE weft.definitions (
  workflow      text NOT NULL,
  content_hash  text NOT NULL,
  version       text NOT NULL,
  source_path   text NOT NULL,
  yaml          text NOT NULL,
  scripts       jsonb NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (workflow, content_hash)
);

CREATE TABLE weft.events (
  seq          bigint GENERATED ALWAYS AS IDENTITY,
  source       text NOT NULL,
  id           text NOT NULL,
  type         text NOT NULL,
  trace_id     text NOT NULL,
  document     jsonb NOT NULL,
  received_at  timestamptz NOT NULL DEFAULT now(),
  routed_at    timestamptz,
  PRIMARY KEY (source, id)
);
CREATE INDEX events_unrouted ON weft.events (seq) WHERE routed_at IS NULL;
CREATE INDEX events_trace ON weft.events (trace_id);

CREATE TABLE weft.hosts (
  id            uuid PRIMARY KEY,
  hostname      text NOT NULL,
  pid           int NOT NULL,
  lease_ms      int NOT NULL,
  started_at    timestamptz NOT NULL DEFAULT now(),
  heartbeat_at  timestamptz NOT NULL DEFAULT now(),
  dead_at       timestamptz
);

-- owner/fence: the host holding the execution and its fencing token, bumped on
-- every claim and release; available_at: when an unowned execution may be claimed.
CREATE TABLE weft.executions (
  id            uuid PRIMARY KEY,
  workflow      text NOT NULL,
  content_hash  text NOT NULL,
  version       text NOT NULL,
  status        text NOT NULL,
  key           text,
  trace_id      text NOT NULL,
  event_source  text,
  event_id      text,
  input         jsonb NOT NULL,
  output        jsonb,
  error         jsonb,
  owner         uuid,
  fence         bigint NOT NULL DEFAULT 0,
  claims        int NOT NULL DEFAULT 0,
  available_at  timestamptz NOT NULL DEFAULT now(),
  timeout_ms    bigint,
  deadline_at   timestamptz,
  created_at    timestamptz NOT NULL DEFAULT now(),
  started_at    timestamptz,
  finished_at   timestamptz,
  updated_at    timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (workflow, content_hash) REFERENCES weft.definitions
) WITH (fillfactor = 80);
CREATE UNIQUE INDEX executions_key ON weft.executions (workflow, key) WHERE key IS NOT NULL;
CREATE UNIQUE INDEX executions_event ON weft.executions (workflow, event_source, event_id)
  WHERE event_id IS NOT NULL;
CREATE INDEX executions_claimable ON weft.executions (available_at)
  WHERE owner IS NULL AND finished_at IS NULL;
CREATE INDEX executions_owner ON weft.executions (owner) WHERE owner IS NOT NULL;
CREATE INDEX executions_trace ON weft.executions (trace_id);
CREATE INDEX executions_recent ON weft.executions (created_at DESC);
CREATE INDEX executions_workflow ON weft.executions (workflow, created_at DESC);

CREATE TABLE weft.steps (
  execution_id     uuid NOT NULL REFERENCES weft.executions ON DELETE CASCADE,
  step_id          text NOT NULL,
  status           text NOT NULL,
  attempts         int NOT NULL DEFAULT 0,
  input            jsonb,
  output           jsonb,
  error            jsonb,
  next_attempt_at  timestamptz,
  started_at       timestamptz,
  finished_at      timestamptz,
  seq              bigint GENERATED ALWAYS AS IDENTITY,
  PRIMARY KEY (execution_id, step_id)
) WITH (fillfactor = 80);

CREATE TABLE weft.attempts (
  execution_id  uuid NOT NULL REFERENCES weft.executions ON DELETE CASCADE,
  step_id       text NOT NULL,
  attempt       int NOT NULL,
  status        text NOT NULL,
  error         jsonb,
  started_at    timestamptz NOT NULL,
  finished_at   timestamptz NOT NULL,
  host_id       uuid,
  PRIMARY KEY (execution_id, step_id, attempt)
);
)sql"},
    {2, "compensation, cancel, dead letters", R"sql(
-- Global completion order of steps: compensations run in reverse of it.
CREATE SEQUENCE weft.done_seq;
ALTER TABLE weft.steps ADD COLUMN done_seq bigint;
-- Attempts made before a dead-letter retry do not count against max_attempts.
ALTER TABLE weft.steps ADD COLUMN attempt_base int NOT NULL DEFAULT 0;
ALTER TABLE weft.executions ADD COLUMN cancel_requested boolean NOT NULL DEFAULT false;

CREATE TABLE weft.compensations (
  execution_id     uuid NOT NULL REFERENCES weft.executions ON DELETE CASCADE,
  step_id          text NOT NULL,
  status           text NOT NULL,
  attempts         int NOT NULL DEFAULT 0,
  attempt_base     int NOT NULL DEFAULT 0,
  input            jsonb,
  output           jsonb,
  error            jsonb,
  next_attempt_at  timestamptz,
  started_at       timestamptz,
  finished_at      timestamptz,
  seq              bigint GENERATED ALWAYS AS IDENTITY,
  PRIMARY KEY (execution_id, step_id)
);
CREATE INDEX executions_dead_letters ON weft.executions (finished_at DESC) WHERE status = 'failed';
CREATE INDEX executions_cancel ON weft.executions (owner) WHERE cancel_requested AND finished_at IS NULL;
)sql"},
    {3, "signals and durable timers", R"sql(
-- Bumped by every signal: a host parking the execution compares it with the
-- value it saw, so a signal that arrives while it decides to park is not lost.
ALTER TABLE weft.executions ADD COLUMN wake_seq bigint NOT NULL DEFAULT 0;

CREATE TABLE weft.signals (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  execution_id uuid NOT NULL REFERENCES weft.executions ON DELETE CASCADE,
  name         text NOT NULL,
  data         jsonb,
  created_at   timestamptz NOT NULL DEFAULT now(),
  consumed_by  text,
  consumed_at  timestamptz
);
CREATE INDEX signals_open ON weft.signals (execution_id, id) WHERE consumed_at IS NULL;
)sql"},
    {4, "concurrency limits", R"sql(
-- An execution with a concurrency key is claimable only once admitted
-- (started_at set), which happens in arrival order while fewer than the
-- limit of its key are started and unfinished.
ALTER TABLE weft.executions ADD COLUMN concurrency_key text, ADD COLUMN concurrency_limit int;
CREATE INDEX executions_admission ON weft.executions (workflow, concurrency_key, created_at)
  WHERE concurrency_key IS NOT NULL AND started_at IS NULL AND finished_at IS NULL;
CREATE INDEX executions_admitted ON weft.executions (workflow, concurrency_key)
  WHERE concurrency_key IS NOT NULL AND started_at IS NOT NULL AND finished_at IS NULL;
)sql"},
    {5, "named locks and attempt details", R"sql(
-- Fencing tokens: every grant gets a larger one than any grant before it.
CREATE SEQUENCE weft.lock_tokens;
CREATE TABLE weft.locks (
  key          text PRIMARY KEY,
  holder       text NOT NULL,
  token        bigint NOT NULL,
  acquired_at  timestamptz NOT NULL DEFAULT now(),
  expires_at   timestamptz NOT NULL
);
-- What an attempt did besides its result: lock waits and holds, queries.
ALTER TABLE weft.attempts ADD COLUMN info jsonb;
)sql"},
    {6, "checkpoint rows without per-row foreign key checks", R"sql(
-- Every row of these tables is written by a checkpoint, whose first step locks
-- the execution row (FOR NO KEY UPDATE, held to commit): the execution exists.
-- The foreign keys checked that again with a trigger query per row written,
-- the largest avoidable cost of a checkpoint. Executions are never deleted.
ALTER TABLE weft.steps DROP CONSTRAINT IF EXISTS steps_execution_id_fkey;
ALTER TABLE weft.attempts DROP CONSTRAINT IF EXISTS attempts_execution_id_fkey;
ALTER TABLE weft.compensations DROP CONSTRAINT IF EXISTS compensations_execution_id_fkey;
)sql"},
    {7, "fenced-out checkpoints can abort their transaction", R"sql(
-- A transactional step sends its checkpoint and COMMIT together (one round
-- trip); a checkpoint whose lease no longer holds must then abort the
-- transaction, so that the COMMIT cannot apply the step's effects.
CREATE FUNCTION weft.fenced_out() RETURNS text LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  RAISE EXCEPTION 'the execution belongs to another host now (fenced out)' USING ERRCODE = 'WF001';
END $$;
)sql"},
    {8, "claims read only the rows they take", R"sql(
-- Claims take the oldest by (available_at, id). With the index on available_at
-- alone, every row sharing the oldest available_at was read and sorted (a
-- routing batch gives all its pending executions the same one): 7 ms per claim
-- of 53 behind a backlog of 10,000, measured.
DROP INDEX weft.executions_claimable;
CREATE INDEX executions_claimable ON weft.executions (available_at, id)
  WHERE owner IS NULL AND finished_at IS NULL;
)sql"},
    {9, "a completed attempt is kept on its step's row", R"sql(
-- weft.attempts now holds failed attempts only. The attempt that completes a
-- step (or compensation) is written on that row, which its checkpoint writes
-- anyway: one insert less per completed step (order-3@50: +5% median over five
-- A/B pairs). weft.attempt_history shows every attempt, as
-- weft.attempts alone did before; older completed attempts stay where they are.
ALTER TABLE weft.steps ADD COLUMN attempt_started_at timestamptz, ADD COLUMN attempt_finished_at timestamptz,
  ADD COLUMN attempt_host uuid, ADD COLUMN attempt_info jsonb;
ALTER TABLE weft.compensations ADD COLUMN attempt_started_at timestamptz,
  ADD COLUMN attempt_finished_at timestamptz, ADD COLUMN attempt_host uuid, ADD COLUMN attempt_info jsonb;
CREATE VIEW weft.attempt_history AS
  SELECT execution_id, step_id, attempt, status, error, started_at, finished_at, host_id, info
    FROM weft.attempts
  UNION ALL
  SELECT execution_id, step_id, attempts, 'completed', NULL::jsonb, attempt_started_at, attempt_finished_at,
         attempt_host, attempt_info
    FROM weft.steps WHERE attempt_finished_at IS NOT NULL
  UNION ALL
  SELECT execution_id, 'compensate:' || step_id, attempts, 'completed', NULL::jsonb, attempt_started_at,
         attempt_finished_at, attempt_host, attempt_info
    FROM weft.compensations WHERE attempt_finished_at IS NOT NULL;
)sql"},
    {10, "the version of each workflow that hosts serve", R"sql(
-- What a host serves for new executions, so that `weft start` (and the HTTP
-- API) start the same version without reading any workflows folder. Keyed by
-- the host's process, not its host id: a host that lost its lease registers
-- again under a new id and goes on serving the same definitions. A row counts
-- while its process has a live weft.hosts row.
ALTER TABLE weft.hosts ADD COLUMN process uuid;
CREATE INDEX hosts_process ON weft.hosts (process);
CREATE TABLE weft.served_definitions (
  process       uuid NOT NULL,
  workflow      text NOT NULL,
  content_hash  text NOT NULL,
  since         timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (workflow, process),
  FOREIGN KEY (workflow, content_hash) REFERENCES weft.definitions
);
CREATE INDEX served_definitions_process ON weft.served_definitions (process);
)sql"},
    {11, "indexes for the API's backlog and dead-letter reads", R"sql(
-- Partial: only live rows (and failed ones) are in them, so reading the
-- backlog or the dead-letter queue costs what is live, not the whole history.
CREATE INDEX executions_live ON weft.executions (workflow) WHERE finished_at IS NULL;
CREATE INDEX executions_failed ON weft.executions (finished_at DESC, id DESC) WHERE status = 'failed';
)sql"},
    {12, "status changes for the live stream", R"sql(
-- Every status change of an execution, step or compensation, in commit-ish
-- order (seq), for /v1/stream and its Last-Event-ID resumption. Written by
-- statement-level triggers from the rows each statement changed, so a group
-- commit of fifty checkpoints adds one insert, not fifty trigger calls. A
-- statement that changed a status wakes the streams (NOTIFY weft_changes).
-- UNLOGGED: the stream is a view of the executions, not their record; after a
-- crash of the server the table is empty and the sequence (logged) goes on,
-- so ids are never reused and a client resuming from before sees a gap.
CREATE SEQUENCE weft.change_seq;
CREATE UNLOGGED TABLE weft.changes (
  seq           bigint PRIMARY KEY DEFAULT nextval('weft.change_seq'),
  at            timestamptz NOT NULL DEFAULT clock_timestamp(),
  execution_id  uuid NOT NULL,
  step_id       text,  -- null: the execution's own status; compensations as compensate:<step>
  status        text NOT NULL
);

CREATE FUNCTION weft.executions_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE changed bigint;
BEGIN
  INSERT INTO weft.changes (execution_id, status) SELECT id, status FROM new_rows ORDER BY id;
  GET DIAGNOSTICS changed = ROW_COUNT;
  IF changed > 0 THEN PERFORM pg_notify('weft_changes', ''); END IF;
  RETURN NULL;
END $$;
CREATE FUNCTION weft.executions_updated() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE changed bigint;
BEGIN
  INSERT INTO weft.changes (execution_id, status)
  SELECT n.id, n.status FROM new_rows n JOIN old_rows o ON o.id = n.id
   WHERE o.status IS DISTINCT FROM n.status ORDER BY n.id;
  GET DIAGNOSTICS changed = ROW_COUNT;
  IF changed > 0 THEN PERFORM pg_notify('weft_changes', ''); END IF;
  RETURN NULL;
END $$;
CREATE FUNCTION weft.steps_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE changed bigint;
BEGIN
  INSERT INTO weft.changes (execution_id, step_id, status)
  SELECT execution_id, TG_ARGV[0] || step_id, status FROM new_rows ORDER BY seq;
  GET DIAGNOSTICS changed = ROW_COUNT;
  IF changed > 0 THEN PERFORM pg_notify('weft_changes', ''); END IF;
  RETURN NULL;
END $$;
CREATE FUNCTION weft.steps_updated() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE changed bigint;
BEGIN
  INSERT INTO weft.changes (execution_id, step_id, status)
  SELECT n.execution_id, TG_ARGV[0] || n.step_id, n.status
    FROM new_rows n JOIN old_rows o ON o.execution_id = n.execution_id AND o.step_id = n.step_id
   WHERE o.status IS DISTINCT FROM n.status ORDER BY n.seq;
  GET DIAGNOSTICS changed = ROW_COUNT;
  IF changed > 0 THEN PERFORM pg_notify('weft_changes', ''); END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER executions_inserted AFTER INSERT ON weft.executions
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION weft.executions_inserted();
CREATE TRIGGER executions_updated AFTER UPDATE ON weft.executions
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION weft.executions_updated();
CREATE TRIGGER steps_inserted AFTER INSERT ON weft.steps
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION weft.steps_inserted('');
CREATE TRIGGER steps_updated AFTER UPDATE ON weft.steps
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION weft.steps_updated('');
CREATE TRIGGER compensations_inserted AFTER INSERT ON weft.compensations
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION weft.steps_inserted('compensate:');
CREATE TRIGGER compensations_updated AFTER UPDATE ON weft.compensations
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION weft.steps_updated('compensate:');
)sql"},
    {13, "the change log without NOTIFY", R"sql(
-- A NOTIFY in a transaction serialises its commit with every other notifying
-- commit (PostgreSQL's notification queue lock): one per checkpoint cost
-- order-3@50 a quarter of its throughput. The streams read the log on a short
-- interval instead, and only while they have clients.
CREATE OR REPLACE FUNCTION weft.executions_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO weft.changes (execution_id, status) SELECT id, status FROM new_rows ORDER BY id;
  RETURN NULL;
END $$;
CREATE OR REPLACE FUNCTION weft.executions_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO weft.changes (execution_id, status)
  SELECT n.id, n.status FROM new_rows n JOIN old_rows o ON o.id = n.id
   WHERE o.status IS DISTINCT FROM n.status ORDER BY n.id;
  RETURN NULL;
END $$;
CREATE OR REPLACE FUNCTION weft.steps_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO weft.changes (execution_id, step_id, status)
  SELECT execution_id, TG_ARGV[0] || step_id, status FROM new_rows ORDER BY seq;
  RETURN NULL;
END $$;
CREATE OR REPLACE FUNCTION weft.steps_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO weft.changes (execution_id, step_id, status)
  SELECT n.execution_id, TG_ARGV[0] || n.step_id, n.status
    FROM new_rows n JOIN old_rows o ON o.execution_id = n.execution_id AND o.step_id = n.step_id
   WHERE o.status IS DISTINCT FROM n.status ORDER BY n.seq;
  RETURN NULL;
END $$;
)sql"},
};

}  // namespace

void migrate(const std::string& url) {
  try {
    pqxx::connection connection(url);
    pqxx::work txn(connection);
    // Serializes concurrent migrators; released at commit.
    txn.exec("SELECT pg_advisory_xact_lock(hashtext('weft.schema'))");
    txn.exec("CREATE SCHEMA IF NOT EXISTS weft");
    txn.exec(
        "CREATE TABLE IF NOT EXISTS weft.schema_migrations ("
        " version int PRIMARY KEY, description text NOT NULL,"
        " applied_at timestamptz NOT NULL DEFAULT now())");
    const int current =
        txn.exec1("SELECT coalesce(max(version), 0) FROM weft.schema_migrations")[0].as<int>();
    for (const auto& migration : kMigrations) {
      if (migration.version <= current) continue;
      txn.exec(std::string(migration.sql));
      txn.exec_params("INSERT INTO weft.schema_migrations (version, description) VALUES ($1, $2)",
                      migration.version, std::string(migration.description));
    }
    txn.commit();
  } catch (const std::exception& error) {
    throw StoreError("database migration failed: " + describe_sql_error(error));
  }
}

}  // namespace weft::store
