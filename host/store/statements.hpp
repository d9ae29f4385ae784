// The SQL of every prepared statement, by name. Parameters are always bound.
#pragma once

#include <string_view>

namespace weft::store::sql {

struct Statement {
  std::string_view name;
  std::string_view text;
};

// Times cross as epoch milliseconds; jsonb crosses as text.
// A batch of events in one statement (one commit); returns the ones that were new.
inline constexpr Statement kInsertEvents{"insert_events", R"sql(
WITH ins AS (
  INSERT INTO weft.events (source, id, type, trace_id, document)
  SELECT e.source, e.id, e.type, e.trace_id, e.document
    FROM jsonb_to_recordset($1::jsonb) AS e(source text, id text, type text, trace_id text, document jsonb)
  ON CONFLICT DO NOTHING RETURNING source, id),
notified AS (SELECT pg_notify('weft_events', '') FROM (SELECT 1 FROM ins LIMIT 1) one)
SELECT source, id, (SELECT count(*) FROM notified) FROM ins
)sql"};

// A routing batch takes its events and marks them routed in one round trip;
// if the routing transaction rolls back they are unrouted again. The inner
// SELECT locks them (other routers skip them); `routed_at IS NULL` lets the
// partial index events_unrouted find them again for the update (without it
// every batch scanned the whole, ever-growing events table).
inline constexpr Statement kTakeUnroutedEvents{"take_unrouted_events", R"sql(
WITH taken AS (
  UPDATE weft.events SET routed_at = now()
   WHERE seq = ANY(ARRAY(SELECT seq FROM weft.events WHERE routed_at IS NULL
                          ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED))
     AND routed_at IS NULL
  RETURNING seq, source, id, type, trace_id, document)
SELECT source, id, type, trace_id, document::text FROM taken ORDER BY seq
)sql"};

// Rows marked `claim` are owned by the routing host ($2) from the start, as a
// claim would leave them, if that host is live; the rest are left pending and
// announced. Returns the inserted rows (a key or event already taken inserts none).
inline constexpr Statement kInsertExecutions{"insert_executions", R"sql(
WITH live AS (
  SELECT EXISTS (SELECT 1 FROM weft.hosts WHERE id = $2::uuid AND dead_at IS NULL) AS host),
rows AS (
  SELECT x.*, x.claim AND live.host AS owned
    FROM live, jsonb_to_recordset($1::jsonb) AS x(id uuid, workflow text, content_hash text, version text,
         key text, trace_id text, event_source text, event_id text, input jsonb, timeout_ms bigint,
         concurrency_key text, concurrency_limit int, claim boolean)),
ins AS (
  INSERT INTO weft.executions (id, workflow, content_hash, version, status, key, trace_id,
                               event_source, event_id, input, timeout_ms, concurrency_key,
                               concurrency_limit, owner, fence, claims, started_at, deadline_at)
  SELECT r.id, r.workflow, r.content_hash, r.version, CASE WHEN r.owned THEN 'running' ELSE 'pending' END,
         r.key, r.trace_id, r.event_source, r.event_id, coalesce(r.input, 'null'::jsonb), r.timeout_ms,
         r.concurrency_key, r.concurrency_limit,
         CASE WHEN r.owned THEN $2::uuid END, CASE WHEN r.owned THEN 1 ELSE 0 END,
         CASE WHEN r.owned THEN 1 ELSE 0 END, CASE WHEN r.owned THEN now() END,
         CASE WHEN r.owned THEN now() + r.timeout_ms * interval '1 millisecond' END
    FROM rows r
  ON CONFLICT DO NOTHING
  RETURNING id, owner IS NOT NULL AS owned, (extract(epoch FROM deadline_at) * 1000)::bigint AS deadline_ms),
notified AS (SELECT pg_notify('weft_work', '') FROM (SELECT 1 FROM ins WHERE NOT owned LIMIT 1) one)
SELECT id::text, owned, deadline_ms, (extract(epoch FROM now()) * 1000)::bigint,
       (SELECT count(*) FROM notified)
  FROM ins
)sql"};

inline constexpr Statement kStartExecution{"start_execution", R"sql(
WITH ins AS (
  INSERT INTO weft.executions (id, workflow, content_hash, version, status, key, trace_id, input,
                               timeout_ms, concurrency_key, concurrency_limit)
  VALUES ($1::uuid, $2, $3, $4, 'pending', $5, $6, $7::jsonb, $8, $9, $10::int)
  ON CONFLICT DO NOTHING RETURNING id),
notified AS (SELECT pg_notify('weft_work', '') FROM ins)
SELECT id::text, true, (SELECT count(*) FROM notified) FROM ins
UNION ALL
SELECT id::text, false, 0 FROM weft.executions
 WHERE workflow = $2 AND key = $5 AND NOT EXISTS (SELECT 1 FROM ins)
)sql"};

inline constexpr Statement kSaveDefinition{"save_definition", R"sql(
INSERT INTO weft.definitions (workflow, content_hash, version, source_path, yaml, scripts)
VALUES ($1, $2, $3, $4, $5, $6::jsonb) ON CONFLICT DO NOTHING
)sql"};

inline constexpr Statement kLoadDefinition{"load_definition", R"sql(
SELECT workflow, content_hash, version, source_path, yaml, scripts::text FROM weft.definitions
 WHERE workflow = $1 AND content_hash = $2
)sql"};

// MATERIALIZED keeps the planner from re-running the LIMITed scan per row.
inline constexpr Statement kClaimExecutions{"claim_executions", R"sql(
WITH c AS MATERIALIZED (
  SELECT id FROM weft.executions
   WHERE owner IS NULL AND finished_at IS NULL AND available_at <= now()
     AND (concurrency_key IS NULL OR started_at IS NOT NULL)
     AND EXISTS (SELECT 1 FROM weft.hosts WHERE id = $1::uuid AND dead_at IS NULL)
   ORDER BY available_at, id LIMIT $2
   FOR UPDATE SKIP LOCKED)
UPDATE weft.executions e
   SET owner = $1::uuid, fence = e.fence + 1, claims = e.claims + 1,
       status = CASE WHEN e.status IN ('pending', 'waiting') THEN 'running' ELSE e.status END,
       started_at = coalesce(e.started_at, now()),
       deadline_at = coalesce(e.deadline_at, now() + e.timeout_ms * interval '1 millisecond'),
       updated_at = now()
  FROM c WHERE e.id = c.id
RETURNING e.id::text, e.workflow, e.content_hash, e.version, e.key, e.trace_id, e.input::text,
          e.fence, (extract(epoch FROM e.deadline_at) * 1000)::bigint,
          (extract(epoch FROM now()) * 1000)::bigint, e.event_source, e.event_id, e.status,
          e.cancel_requested, e.wake_seq, e.claims
)sql"};

inline constexpr Statement kSelectOpenSignals{"select_open_signals", R"sql(
SELECT execution_id::text, id, name, data::text FROM weft.signals
 WHERE execution_id = ANY($1::uuid[]) AND consumed_at IS NULL ORDER BY id
)sql"};

inline constexpr Statement kSignalTarget{"signal_target", R"sql(
SELECT workflow, content_hash, status, finished_at IS NOT NULL FROM weft.executions WHERE id = $1::uuid
)sql"};

// The signal and the wake-up of its execution commit together.
inline constexpr Statement kDeliverSignal{"deliver_signal", R"sql(
WITH target AS (
  UPDATE weft.executions SET wake_seq = wake_seq + 1, available_at = least(available_at, now()),
                             updated_at = now()
   WHERE id = $1::uuid AND finished_at IS NULL RETURNING id),
delivered AS (
  INSERT INTO weft.signals (execution_id, name, data) SELECT id, $2, $3::jsonb FROM target RETURNING id),
notified AS (SELECT pg_notify('weft_work', '') FROM delivered)
SELECT (SELECT count(*) FROM delivered), (SELECT count(*) FROM notified)
)sql"};

inline constexpr Statement kSelectEventDocuments{"select_event_documents", R"sql(
SELECT ev.source, ev.id, ev.document::text
  FROM weft.events ev
  JOIN unnest($1::text[], $2::text[]) AS k(source, id) ON ev.source = k.source AND ev.id = k.id
)sql"};

inline constexpr Statement kSelectStepStates{"select_step_states", R"sql(
SELECT execution_id::text, step_id, status, attempts, input::text, output::text, error::text,
       (extract(epoch FROM next_attempt_at) * 1000)::bigint,
       (extract(epoch FROM started_at) * 1000)::bigint,
       (extract(epoch FROM finished_at) * 1000)::bigint, done_seq, attempt_base
  FROM weft.steps WHERE execution_id = ANY($1::uuid[]) ORDER BY seq
)sql"};

inline constexpr Statement kSelectCompensations{"select_compensations", R"sql(
SELECT execution_id::text, step_id, status, attempts, input::text, output::text, error::text,
       (extract(epoch FROM next_attempt_at) * 1000)::bigint,
       (extract(epoch FROM started_at) * 1000)::bigint,
       (extract(epoch FROM finished_at) * 1000)::bigint, NULL::bigint, attempt_base
  FROM weft.compensations WHERE execution_id = ANY($1::uuid[]) ORDER BY seq
)sql"};

inline constexpr Statement kNextClaimable{"next_claimable", R"sql(
SELECT (extract(epoch FROM (min(available_at) - now())) * 1000)::bigint
  FROM weft.executions
 WHERE owner IS NULL AND finished_at IS NULL AND (concurrency_key IS NULL OR started_at IS NOT NULL)
)sql"};

inline constexpr Statement kAdmissionKeys{"admission_keys", R"sql(
SELECT DISTINCT workflow, concurrency_key FROM weft.executions
 WHERE concurrency_key IS NOT NULL AND started_at IS NULL AND finished_at IS NULL
 LIMIT 200
)sql"};

// Held until the admission transaction ends: admissions of one key never overlap.
inline constexpr Statement kLockAdmissionKey{"lock_admission_key", R"sql(
SELECT pg_try_advisory_xact_lock(hashtextextended('weft.admission/' || $1 || '/' || $2, 0))
)sql"};

// Runs after the lock, so its snapshot sees every earlier admission of the key.
inline constexpr Statement kAdmit{"admit", R"sql(
WITH limits AS (
  SELECT max(concurrency_limit) AS max_running,
         (SELECT count(*) FROM weft.executions
           WHERE workflow = $1 AND concurrency_key = $2
             AND started_at IS NOT NULL AND finished_at IS NULL) AS running
    FROM weft.executions
   WHERE workflow = $1 AND concurrency_key = $2 AND started_at IS NULL AND finished_at IS NULL),
next AS MATERIALIZED (
  SELECT id FROM weft.executions
   WHERE workflow = $1 AND concurrency_key = $2 AND started_at IS NULL AND finished_at IS NULL
   ORDER BY created_at, id
   LIMIT (SELECT greatest(0, max_running - running) FROM limits)
   FOR UPDATE SKIP LOCKED),
admitted AS (
  UPDATE weft.executions e SET started_at = now(), available_at = least(e.available_at, now()),
                               updated_at = now()
    FROM next WHERE e.id = next.id RETURNING 1)
SELECT count(*) FROM admitted
)sql"};

inline constexpr Statement kRequestCancel{"request_cancel", R"sql(
WITH target AS (
  SELECT id, status, finished_at, cancel_requested FROM weft.executions
   WHERE id = $1::uuid FOR NO KEY UPDATE),
changed AS (
  UPDATE weft.executions e
     SET cancel_requested = true, available_at = least(e.available_at, now()), updated_at = now()
    FROM target t WHERE e.id = t.id AND t.finished_at IS NULL AND NOT t.cancel_requested
  RETURNING 1),
notified AS (SELECT pg_notify('weft_work', '') FROM changed)
SELECT t.status, t.finished_at IS NOT NULL, t.cancel_requested,
       (SELECT count(*) FROM changed), (SELECT count(*) FROM notified)
  FROM target t
)sql"};

inline constexpr Statement kCancelRequested{"cancel_requested", R"sql(
SELECT id::text FROM weft.executions
 WHERE owner = $1::uuid AND cancel_requested AND finished_at IS NULL
)sql"};

inline constexpr Statement kListDeadLetters{"list_dead_letters", R"sql(
SELECT e.id::text, e.workflow, e.version, e.status, e.key, e.trace_id,
       (extract(epoch FROM e.created_at) * 1000)::bigint,
       (extract(epoch FROM e.finished_at) * 1000)::bigint, e.error::text,
       coalesce(e.error->>'step', ''),
       coalesce((SELECT s.attempts FROM weft.steps s
                  WHERE s.execution_id = e.id AND s.step_id = e.error->>'step'), 0)
  FROM weft.executions e WHERE e.status = 'failed'
 ORDER BY e.finished_at DESC, e.id LIMIT $1
)sql"};

inline constexpr Statement kLockDeadLetter{"lock_dead_letter", R"sql(
SELECT status, coalesce(error->>'code', '') FROM weft.executions WHERE id = $1::uuid
FOR NO KEY UPDATE
)sql"};

// A dead-letter retry gives failed steps (or compensations) a fresh attempt
// budget; their history stays.
inline constexpr Statement kRetryFailedSteps{"retry_failed_steps", R"sql(
UPDATE weft.steps SET status = 'retrying', attempt_base = attempts, next_attempt_at = now(),
                      error = NULL, finished_at = NULL
 WHERE execution_id = $1::uuid AND status = 'failed'
)sql"};

inline constexpr Statement kRetryFailedCompensations{"retry_failed_compensations", R"sql(
UPDATE weft.compensations SET status = 'retrying', attempt_base = attempts, next_attempt_at = now(),
                              error = NULL, finished_at = NULL
 WHERE execution_id = $1::uuid AND status = 'failed'
)sql"};

inline constexpr Statement kReviveExecution{"revive_execution", R"sql(
WITH revived AS (
  UPDATE weft.executions
     SET status = $2, output = NULL, error = NULL, finished_at = NULL, owner = NULL,
         fence = fence + 1, available_at = now(), deadline_at = NULL, updated_at = now()
   WHERE id = $1::uuid RETURNING 1)
SELECT (SELECT count(*) FROM revived), (SELECT count(*) FROM (SELECT pg_notify('weft_work', '') FROM revived) n)
)sql"};

// `IS NOT DISTINCT FROM`: a primary-key probe, never a scan of executions_owner (see checkpoint_sql.cpp).
inline constexpr Statement kRelease{"release", R"sql(
WITH r AS (
  UPDATE weft.executions SET owner = NULL, fence = fence + 1, available_at = now(), updated_at = now()
   WHERE id = $1::uuid AND owner IS NOT DISTINCT FROM $2::uuid AND fence = $3 RETURNING 1)
SELECT (SELECT count(*) FROM r), (SELECT count(*) FROM (SELECT pg_notify('weft_work', '') FROM r) n)
)sql"};

inline constexpr Statement kOwnedExecutions{"owned_executions", R"sql(
SELECT id::text, fence FROM weft.executions WHERE owner = $1::uuid
)sql"};

// Granted when free, expired, or already this holder's (a retry of the same
// step after its host died); every grant takes a new, larger fencing token.
inline constexpr Statement kTryLock{"try_lock", R"sql(
INSERT INTO weft.locks (key, holder, token, expires_at)
VALUES ($1, $2, nextval('weft.lock_tokens'), now() + $3::bigint * interval '1 millisecond')
ON CONFLICT (key) DO UPDATE
   SET holder = EXCLUDED.holder, token = EXCLUDED.token, acquired_at = now(),
       expires_at = EXCLUDED.expires_at
 WHERE weft.locks.expires_at < now() OR weft.locks.holder = EXCLUDED.holder
RETURNING token
)sql"};

inline constexpr Statement kUnlock{"unlock", R"sql(
DELETE FROM weft.locks WHERE key = $1 AND token = $2
)sql"};

// Tables the hot path looks up by key that grew well past what their
// statistics say. Cached generic plans are made with the sizes of the moment:
// a table analyzed empty that then grew (a new database, a burst) keeps plans
// that scan it whole until autovacuum analyzes it, up to a minute later (seen
// in the benchmark: a finishing checkpoint took 0.84 ms instead of 0.23).
// Past 100,000 rows every plan probes indexes anyway; autovacuum does the rest.
inline constexpr Statement kStaleStatistics{"stale_statistics", R"sql(
SELECT c.relname::text FROM pg_class c JOIN pg_stat_user_tables s ON s.relid = c.oid
 WHERE c.relnamespace = 'weft'::regnamespace
   AND c.relname IN ('executions', 'events', 'signals', 'steps')
   AND c.reltuples < 100000 AND s.n_live_tup > 2 * greatest(c.reltuples, 0) + 1000
)sql"};

// `process` is the same for every id one process registers under (see served_definitions).
inline constexpr Statement kRegisterHost{"register_host", R"sql(
INSERT INTO weft.hosts (id, hostname, pid, lease_ms, process) VALUES ($1::uuid, $2, $3, $4, $5::uuid)
)sql"};

inline constexpr Statement kHeartbeat{"heartbeat", R"sql(
UPDATE weft.hosts SET heartbeat_at = now() WHERE id = $1::uuid AND dead_at IS NULL RETURNING 1
)sql"};

// Executions of a dead host become claimable at once; the fence bump makes
// any late write from that host fail.
inline constexpr Statement kReapHosts{"reap_hosts", R"sql(
WITH dead AS (
  UPDATE weft.hosts SET dead_at = now()
   WHERE dead_at IS NULL AND id <> $1::uuid
     AND heartbeat_at < now() - lease_ms * interval '1 millisecond'
  RETURNING id),
freed AS (
  UPDATE weft.executions e
     SET owner = NULL, fence = e.fence + 1, available_at = now(), updated_at = now()
   WHERE e.owner IN (SELECT id FROM dead UNION ALL
                     SELECT id FROM weft.hosts WHERE dead_at IS NOT NULL)
  RETURNING 1)
SELECT (SELECT count(*) FROM freed),
       (SELECT count(*) FROM (SELECT pg_notify('weft_work', '') FROM freed LIMIT 1) n)
)sql"};

// The process stops serving too: its served_definitions rows go with it.
inline constexpr Statement kUnregisterHost{"unregister_host", R"sql(
WITH gone AS (UPDATE weft.hosts SET dead_at = now() WHERE id = $1::uuid RETURNING id, process),
unserved AS (DELETE FROM weft.served_definitions s USING gone WHERE s.process = gone.process),
freed AS (
  UPDATE weft.executions e
     SET owner = NULL, fence = e.fence + 1, available_at = now(), updated_at = now()
    FROM gone WHERE e.owner = gone.id
  RETURNING 1)
SELECT (SELECT count(*) FROM freed),
       (SELECT count(*) FROM (SELECT pg_notify('weft_work', '') FROM freed LIMIT 1) n)
)sql"};

inline constexpr Statement kGetExecution{"get_execution", R"sql(
SELECT id::text, workflow, version, status, key, trace_id,
       (extract(epoch FROM created_at) * 1000)::bigint,
       (extract(epoch FROM finished_at) * 1000)::bigint,
       content_hash, input::text, output::text, error::text,
       (extract(epoch FROM started_at) * 1000)::bigint, cancel_requested
  FROM weft.executions WHERE id = $1::uuid
)sql"};

inline constexpr Statement kSelectAttempts{"select_attempts", R"sql(
SELECT step_id, attempt, status, error::text,
       (extract(epoch FROM started_at) * 1000)::bigint,
       (extract(epoch FROM finished_at) * 1000)::bigint, info::text
  FROM weft.attempt_history WHERE execution_id = $1::uuid ORDER BY step_id, attempt
)sql"};

inline constexpr Statement kExecutionsOfTrace{"executions_of_trace", R"sql(
SELECT id::text, workflow, version, status, key, trace_id,
       (extract(epoch FROM created_at) * 1000)::bigint,
       (extract(epoch FROM finished_at) * 1000)::bigint
  FROM weft.executions WHERE trace_id = $1 ORDER BY created_at, workflow
)sql"};

// The timeline is derived from what is stored anyway: no extra writes per step.
inline constexpr Statement kTrace{"trace", R"sql(
SELECT (extract(epoch FROM at) * 1000)::bigint, kind, execution_id, workflow, step_id, detail::text FROM (
  SELECT received_at AS at, 'event.received' AS kind, '' AS execution_id, '' AS workflow,
         '' AS step_id, jsonb_build_object('source', source, 'id', id, 'type', type) AS detail, 0 AS o
    FROM weft.events WHERE trace_id = $1
  UNION ALL
  SELECT created_at, 'execution.created', id::text, workflow, '',
         jsonb_build_object('version', version, 'key', key), 1
    FROM weft.executions WHERE trace_id = $1
  UNION ALL
  SELECT started_at, 'execution.started', id::text, workflow, '', '{}'::jsonb, 2
    FROM weft.executions WHERE trace_id = $1 AND started_at IS NOT NULL
  UNION ALL
  SELECT a.started_at, 'step.attempt', e.id::text, e.workflow, a.step_id,
         jsonb_build_object('attempt', a.attempt, 'status', a.status, 'error', a.error,
           'duration_ms', (extract(epoch FROM a.finished_at - a.started_at) * 1000)::bigint)
           || coalesce(a.info, '{}'::jsonb), 3
    FROM weft.attempt_history a JOIN weft.executions e ON e.id = a.execution_id WHERE e.trace_id = $1
  UNION ALL
  SELECT s.finished_at, 'step.skipped', e.id::text, e.workflow, s.step_id, '{}'::jsonb, 4
    FROM weft.steps s JOIN weft.executions e ON e.id = s.execution_id
   WHERE e.trace_id = $1 AND s.status = 'skipped'
  UNION ALL
  SELECT finished_at, 'execution.finished', id::text, workflow, '',
         jsonb_build_object('status', status, 'error', error,
           'duration_ms', (extract(epoch FROM finished_at - created_at) * 1000)::bigint), 5
    FROM weft.executions WHERE trace_id = $1 AND finished_at IS NOT NULL
) t ORDER BY at, o
)sql"};

}  // namespace weft::store::sql
