-- Queries of the SQLite store. {p} is the namespace, a checked identifier.

-- name: schema
CREATE TABLE IF NOT EXISTS {p}_meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS {p}_tasks (
    task_id          TEXT PRIMARY KEY,
    task_group_id    TEXT NOT NULL,
    task_description TEXT,
    topic            TEXT NOT NULL,
    sub_topic        TEXT NOT NULL,
    status           TEXT NOT NULL,
    pid              TEXT,
    record_ver       INTEGER NOT NULL,
    data             TEXT NOT NULL,
    error            TEXT,
    snooze_time      INTEGER,
    timeout_ms       INTEGER,
    lease_expires_at INTEGER,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
);
-- Counts per topic and status, kept by triggers, so topics() never scans tasks.
-- minute and in_minute (schema version 7) are the rates' current minute: see
-- "Rates" below.
CREATE TABLE IF NOT EXISTS {p}_topic_counts (
    topic     TEXT NOT NULL,
    status    TEXT NOT NULL,
    n         INTEGER NOT NULL,
    minute    INTEGER NOT NULL DEFAULT 0,
    in_minute INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (topic, status)
);
CREATE INDEX IF NOT EXISTS {p}_tasks_group ON {p}_tasks (task_group_id, created_at, task_id);
-- Listing, newest updated_at first (schema version 4). Every status change
-- moves a task in each index that holds status or updated_at, and each such
-- index costs a reserve->terminate cycle about 12 us of SQLite's time, so
-- there are two: one for a topic's tasks of a status, one for a status across
-- topics. A listing without a status filter merges the five statuses' ranges
-- (list_tasks_merged); a sub_topic filter is checked on the rows of the
-- topic's range (sub-topics are few per topic, so a page stays cheap).
-- Version 3 had four (updated, topic_updated, topic_status_updated,
-- topic_sub_status_updated): a writable open drops the extra ones.
CREATE INDEX IF NOT EXISTS {p}_tasks_topic_status_updated
    ON {p}_tasks (topic, status, updated_at, task_id);
CREATE INDEX IF NOT EXISTS {p}_tasks_status_updated ON {p}_tasks (status, updated_at, task_id);
DROP INDEX IF EXISTS {p}_tasks_updated;
DROP INDEX IF EXISTS {p}_tasks_topic_updated;
DROP INDEX IF EXISTS {p}_tasks_topic_sub_status_updated;
-- Reservation: the oldest starting task of a topic.
CREATE INDEX IF NOT EXISTS {p}_tasks_starting
    ON {p}_tasks (topic, created_at, task_id) WHERE status = 'starting';
-- Leases: running and snoozed are exactly the tasks with a lease_expires_at.
CREATE INDEX IF NOT EXISTS {p}_tasks_leased
    ON {p}_tasks (topic, lease_expires_at, task_id) WHERE lease_expires_at IS NOT NULL;
CREATE INDEX IF NOT EXISTS {p}_tasks_leased_all
    ON {p}_tasks (lease_expires_at, task_id) WHERE lease_expires_at IS NOT NULL;
-- Inserts are counted by the store, once per batch (count_inserted): a row
-- trigger costs an upsert per task and halves bulk creation.
DROP TRIGGER IF EXISTS {p}_count_insert;
-- A status change moves the counts, and (schema version 7) counts a change
-- into terminated, failed or snoozed (any but starting, a revoke, and
-- running) in the rates' current minute of the row it updates anyway ("Rates"
-- below). Plain comparisons, not IN (...): an IN list here doubled the cost
-- of a reserve->terminate cycle. Dropped and made again on every writable
-- open: an older schema's has the older body.
DROP TRIGGER IF EXISTS {p}_count_update;
CREATE TRIGGER {p}_count_update AFTER UPDATE OF status ON {p}_tasks
WHEN OLD.status <> NEW.status BEGIN
    UPDATE {p}_topic_counts SET n = n - 1 WHERE topic = OLD.topic AND status = OLD.status;
    INSERT INTO {p}_topic_counts (topic, status, n, minute, in_minute)
    VALUES (NEW.topic, NEW.status, 1, NEW.updated_at - NEW.updated_at % 60000,
            NEW.status <> 'starting' AND NEW.status <> 'running')
    ON CONFLICT (topic, status) DO UPDATE SET n = n + 1,
        in_minute = CASE WHEN NEW.status = 'starting' OR NEW.status = 'running' THEN in_minute
                         WHEN minute = excluded.minute THEN in_minute + 1 ELSE 1 END,
        minute = CASE WHEN NEW.status = 'starting' OR NEW.status = 'running' THEN minute
                      ELSE excluded.minute END;
END;
CREATE TRIGGER IF NOT EXISTS {p}_count_delete AFTER DELETE ON {p}_tasks BEGIN
    UPDATE {p}_topic_counts SET n = n - 1 WHERE topic = OLD.topic AND status = OLD.status;
END;
-- The audit trail (schema version 2): written by the store, in the write's own
-- transaction, when it was opened with an operator.
CREATE TABLE IF NOT EXISTS {p}_audit (
    audit_id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at                INTEGER NOT NULL,
    op_user           TEXT NOT NULL,
    op_host           TEXT NOT NULL,
    tool              TEXT NOT NULL,
    action            TEXT NOT NULL,
    task_id           TEXT NOT NULL,
    topic             TEXT NOT NULL,
    status_before     TEXT,
    status_after      TEXT NOT NULL,
    record_ver_before INTEGER,
    record_ver_after  INTEGER NOT NULL,
    detail            TEXT NOT NULL,
    batch_id          TEXT
);
CREATE INDEX IF NOT EXISTS {p}_audit_at ON {p}_audit (at, audit_id);
CREATE INDEX IF NOT EXISTS {p}_audit_task ON {p}_audit (task_id, at, audit_id);
-- Paused topics (schema version 5): a row per paused topic; reservation skips
-- a topic whose row has no end (until_ms NULL) or an end still ahead of the
-- store's clock. An ended pause may stay until the next pause or resume of
-- the topic: it is no pause. A writable open of an older schema adds the table.
CREATE TABLE IF NOT EXISTS {p}_pauses (
    topic     TEXT PRIMARY KEY,
    paused_at INTEGER NOT NULL,
    until_ms  INTEGER,
    reason    TEXT NOT NULL,
    paused_by TEXT NOT NULL
);
-- Rates over time (schema version 6, reworked in 7; stores/rates.py): per
-- topic, the tasks created, terminated, failed and snoozed per minute, kept
-- for a day, the longest window (rates() reads the hour as it is and the day
-- by 10 minutes by adding minutes up). The current minute lives in the
-- topic_counts row of the status (minute, in_minute: 'starting' counts
-- creates), which every create and status change updates already: counting
-- costs a write no row of its own (version 6's trigger upserted a rates row
-- per write, 8-12 % of a reserve->terminate cycle's CPU). When a row's minute
-- moves on, rate_roll below adds what it held to that minute's rates row:
-- once a minute per topic and status. Reads add both up. The first rates row
-- of a new minute deletes every row older than a day, so at most 1,441 rows
-- per topic stay, and that delete runs once a minute, not on every write.
CREATE TABLE IF NOT EXISTS {p}_rates (
    topic        TEXT NOT NULL,
    width_ms     INTEGER NOT NULL,
    bucket_start INTEGER NOT NULL,
    created      INTEGER NOT NULL DEFAULT 0,
    terminated   INTEGER NOT NULL DEFAULT 0,
    failed       INTEGER NOT NULL DEFAULT 0,
    snoozed      INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (topic, width_ms, bucket_start)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS {p}_rates_expiry ON {p}_rates (width_ms, bucket_start);
DROP TRIGGER IF EXISTS {p}_rate_change;
CREATE TRIGGER IF NOT EXISTS {p}_rate_roll AFTER UPDATE OF minute ON {p}_topic_counts
WHEN NEW.minute <> OLD.minute AND OLD.in_minute > 0 BEGIN
    INSERT INTO {p}_rates (topic, width_ms, bucket_start, created, terminated, failed, snoozed)
    VALUES (OLD.topic, 60000, OLD.minute, (OLD.status = 'starting') * OLD.in_minute,
            (OLD.status = 'terminated') * OLD.in_minute, (OLD.status = 'failed') * OLD.in_minute,
            (OLD.status = 'snoozed') * OLD.in_minute)
    ON CONFLICT (topic, width_ms, bucket_start) DO UPDATE SET
        created = created + excluded.created, terminated = terminated + excluded.terminated,
        failed = failed + excluded.failed, snoozed = snoozed + excluded.snoozed;
END;
CREATE TRIGGER IF NOT EXISTS {p}_rate_expiry AFTER INSERT ON {p}_rates BEGIN
    DELETE FROM {p}_rates WHERE width_ms = NEW.width_ms AND bucket_start <= NEW.bucket_start - 86400000;
END;

-- name: schema_version
SELECT value FROM {p}_meta WHERE key = 'schema_version';

-- name: set_schema_version
INSERT INTO {p}_meta (key, value) VALUES ('schema_version', ?)
ON CONFLICT (key) DO UPDATE SET value = excluded.value;

-- name: identity
SELECT value FROM {p}_meta WHERE key = 'identity';

-- name: set_identity
-- Written once, with the schema; an older namespace gets one on its next writable open.
INSERT INTO {p}_meta (key, value) VALUES ('identity', ?)
ON CONFLICT (key) DO NOTHING;

-- name: schema_exists
SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '{p}_meta';

-- name: insert_task
INSERT INTO {p}_tasks ({columns})
VALUES (?, ?, ?, ?, ?, 'starting', NULL, 1, ?, NULL, NULL, ?, NULL, ?, ?);

-- name: count_inserted
-- A batch's (or a re-run's) new tasks of a topic, counted, and counted as
-- created in the current minute of the rates (schema.sql, "Rates").
INSERT INTO {p}_topic_counts (topic, status, n, minute, in_minute)
VALUES (:topic, 'starting', :n, :now - :now % 60000, :n)
ON CONFLICT (topic, status) DO UPDATE SET n = n + excluded.n,
    in_minute = CASE WHEN minute = excluded.minute THEN in_minute + excluded.n ELSE excluded.n END,
    minute = excluded.minute;

-- name: rates_topic
-- A topic's buckets of the read width (:width, 60,000 or 600,000) from :first
-- on: its past minutes (rates) and its current ones (topic_counts), added up
-- per bucket.
SELECT topic, bucket_start - bucket_start % :width, sum(created), sum(terminated), sum(failed), sum(snoozed)
FROM (
    SELECT topic, bucket_start, created, terminated, failed, snoozed FROM {p}_rates
    WHERE topic = :topic AND width_ms = 60000 AND bucket_start >= :first
    UNION ALL
    SELECT topic, minute, (status = 'starting') * in_minute, (status = 'terminated') * in_minute,
           (status = 'failed') * in_minute, (status = 'snoozed') * in_minute
    FROM {p}_topic_counts WHERE topic = :topic AND in_minute > 0 AND minute >= :first
)
GROUP BY 1, 2;

-- name: rates_all
SELECT topic, bucket_start - bucket_start % :width, sum(created), sum(terminated), sum(failed), sum(snoozed)
FROM (
    SELECT topic, bucket_start, created, terminated, failed, snoozed FROM {p}_rates
    WHERE width_ms = 60000 AND bucket_start >= :first
    UNION ALL
    SELECT topic, minute, (status = 'starting') * in_minute, (status = 'terminated') * in_minute,
           (status = 'failed') * in_minute, (status = 'snoozed') * in_minute
    FROM {p}_topic_counts WHERE in_minute > 0 AND minute >= :first
)
GROUP BY 1, 2;

-- name: rates_table_topic
-- Schema version 6 (read-only): every minute in the rates table.
SELECT topic, bucket_start - bucket_start % :width, sum(created), sum(terminated), sum(failed), sum(snoozed)
FROM {p}_rates WHERE topic = :topic AND width_ms = 60000 AND bucket_start >= :first
GROUP BY 1, 2;

-- name: rates_table_all
SELECT topic, bucket_start - bucket_start % :width, sum(created), sum(terminated), sum(failed), sum(snoozed)
FROM {p}_rates WHERE width_ms = 60000 AND bucket_start >= :first
GROUP BY 1, 2;

-- name: topic_counts_columns
SELECT name FROM pragma_table_info('{p}_topic_counts');

-- name: add_rate_minute
-- Schema version 7 on an older namespace (SQLite has no ADD COLUMN IF NOT EXISTS).
ALTER TABLE {p}_topic_counts ADD COLUMN minute INTEGER NOT NULL DEFAULT 0;

-- name: add_rate_in_minute
ALTER TABLE {p}_topic_counts ADD COLUMN in_minute INTEGER NOT NULL DEFAULT 0;

-- name: existing_ids
SELECT task_id FROM {p}_tasks WHERE task_id IN (SELECT value FROM json_each(?));

-- name: select_task
SELECT {columns} FROM {p}_tasks WHERE task_id = ?;

-- name: select_tasks
SELECT {columns} FROM {p}_tasks WHERE task_id IN (SELECT value FROM json_each(?));

-- name: group_tasks
SELECT {columns} FROM {p}_tasks WHERE task_group_id = ? ORDER BY created_at, task_id;

-- name: list_tasks
-- With a status filter: one range of topic_status_updated (topic given) or
-- status_updated; the store puts in the index and the filters.
SELECT {columns} FROM {p}_tasks INDEXED BY {index}
WHERE {where}
ORDER BY updated_at DESC, task_id DESC
LIMIT :limit;

-- name: list_tasks_merged
-- Without a status filter: the newest :limit keys of each status's range,
-- merged: the store puts in list_tasks_range once per status.
SELECT {t_columns} FROM (
{ranges}
) AS k CROSS JOIN {p}_tasks AS t ON t.task_id = k.task_id
ORDER BY k.updated_at DESC, k.task_id DESC
LIMIT :limit;

-- name: list_tasks_range
SELECT * FROM (
    SELECT task_id, updated_at FROM {p}_tasks INDEXED BY {index}
    WHERE status = '{status}' AND {where}
    ORDER BY updated_at DESC, task_id DESC
    LIMIT :limit)

-- name: list_leased_topic
SELECT {columns} FROM {p}_tasks
WHERE topic = ? AND lease_expires_at IS NOT NULL AND (lease_expires_at, task_id) > (?, ?)
ORDER BY lease_expires_at, task_id
LIMIT ?;

-- name: list_leased_all
SELECT {columns} FROM {p}_tasks
WHERE lease_expires_at IS NOT NULL AND (lease_expires_at, task_id) > (?, ?)
ORDER BY lease_expires_at, task_id
LIMIT ?;

-- name: reserve_candidate
-- FIFO but not strict: the oldest starting task, or the task whose lease or
-- snooze ended longest ago, whichever was created first. None while the topic
-- is paused (by the store's clock :now).
SELECT task_id FROM (
    SELECT * FROM (
        SELECT task_id, created_at FROM {p}_tasks
        WHERE topic = :topic AND status = 'starting'
        ORDER BY created_at, task_id LIMIT 1)
    UNION ALL
    SELECT * FROM (
        SELECT task_id, created_at FROM {p}_tasks
        WHERE topic = :topic AND lease_expires_at IS NOT NULL AND lease_expires_at <= :now
        ORDER BY lease_expires_at, task_id LIMIT 1)
)
WHERE NOT EXISTS (
    SELECT 1 FROM {p}_pauses
    WHERE topic = :topic AND (until_ms IS NULL OR until_ms > :now))
ORDER BY created_at, task_id LIMIT 1;

-- name: reserve_candidates
-- reserve_tasks: up to :max candidates, in the order reserve_candidate would
-- take them one by one (the oldest starting tasks and the longest ended
-- leases or snoozes, merged by created_at). None while the topic is paused.
SELECT task_id FROM (
    SELECT * FROM (
        SELECT task_id, created_at FROM {p}_tasks
        WHERE topic = :topic AND status = 'starting'
        ORDER BY created_at, task_id LIMIT :max)
    UNION ALL
    SELECT * FROM (
        SELECT task_id, created_at FROM {p}_tasks
        WHERE topic = :topic AND lease_expires_at IS NOT NULL AND lease_expires_at <= :now
        ORDER BY lease_expires_at, task_id LIMIT :max)
)
WHERE NOT EXISTS (
    SELECT 1 FROM {p}_pauses
    WHERE topic = :topic AND (until_ms IS NULL OR until_ms > :now))
ORDER BY created_at, task_id LIMIT :max;

-- name: reserve_tasks
-- reserve_tasks in one statement (no operator to record): the candidates of
-- reserve_candidates (the store puts its text in), made running, returned.
UPDATE {p}_tasks
SET status = 'running', pid = :pid, record_ver = record_ver + 1,
    lease_expires_at = :now + :lease_ms, updated_at = :now
WHERE task_id IN ({reserve_candidates})
RETURNING {columns};

-- name: select_tasks_in
-- The tasks of a batch (a JSON array of ids), in a write's transaction.
SELECT {columns} FROM {p}_tasks WHERE task_id IN (SELECT value FROM json_each(?));

-- name: reserve_task
-- The reservation in one statement (no operator to record): the candidate of
-- reserve_candidate (the store puts its text in), made running, returned. A
-- lone write statement holds the write lock from its start, as BEGIN
-- IMMEDIATE would.
UPDATE {p}_tasks
SET status = 'running', pid = :pid, record_ver = record_ver + 1,
    lease_expires_at = :now + :lease_ms, updated_at = :now
WHERE task_id = ({reserve_candidate})
RETURNING {columns};

-- name: write_task
-- terminate, fail, snooze and revoke_lease in one statement (no operator to
-- record). Succeeds exactly when rules.check_write / check_revoke would not
-- raise; {from_statuses} comes from ALLOWED_TRANSITIONS for the target.
UPDATE {p}_tasks
SET status = :target,
    pid = NULL,
    error = CASE WHEN :set_error THEN :error ELSE error END,
    snooze_time = coalesce(:snooze_ms, snooze_time),
    lease_expires_at = :now + :snooze_ms,
    record_ver = record_ver + 1,
    updated_at = :now
WHERE task_id = :task_id
  AND status IN ({from_statuses})
  AND (NOT :owner_check OR status = 'snoozed' OR pid IS :pid)
  AND (:record_ver IS NULL OR record_ver = :record_ver)
RETURNING {columns};

-- name: update_task
UPDATE {p}_tasks
SET status = ?, pid = ?, record_ver = ?, error = ?, snooze_time = ?,
    lease_expires_at = ?, updated_at = ?
WHERE task_id = ?;

-- name: insert_audit
INSERT INTO {p}_audit (at, op_user, op_host, tool, action, task_id, topic, status_before,
                       status_after, record_ver_before, record_ver_after, detail, batch_id)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?);

-- name: audit_all
SELECT {audit_columns} FROM {p}_audit
WHERE (at, audit_id) < (?, ?)
ORDER BY at DESC, audit_id DESC
LIMIT ?;

-- name: audit_task
SELECT {audit_columns} FROM {p}_audit
WHERE task_id = ? AND (at, audit_id) < (?, ?)
ORDER BY at DESC, audit_id DESC
LIMIT ?;

-- name: topic_counts
SELECT topic, status, n FROM {p}_topic_counts WHERE n <> 0 ORDER BY topic;

-- name: topic_extras
SELECT
    (SELECT count(*) FROM {p}_tasks
     WHERE topic = :topic AND lease_expires_at IS NOT NULL AND lease_expires_at <= :now
       AND status = 'running'),
    (SELECT min(created_at) FROM {p}_tasks WHERE topic = :topic AND status = 'starting');

-- name: purge_batch
-- Retention: up to :limit finished tasks last updated before :cutoff. The
-- count_delete trigger keeps the topic counts.
DELETE FROM {p}_tasks WHERE task_id IN (
    SELECT task_id FROM {p}_tasks
    WHERE updated_at < :cutoff AND status IN (SELECT value FROM json_each(:statuses))
    LIMIT :limit
);

-- name: purge_batch_topic
DELETE FROM {p}_tasks WHERE task_id IN (
    SELECT task_id FROM {p}_tasks
    WHERE topic = :topic AND status IN (SELECT value FROM json_each(:statuses)) AND updated_at < :cutoff
    LIMIT :limit
);

-- name: failure_groups
-- The newest :scan_limit failed tasks of a topic (one range of the
-- topic_status_updated index), grouped by their error key (the function
-- sokka_error_key is stores/failures.py's error_key, registered on every
-- connection: the first line, or a Python traceback's exception); each group's
-- newest task is its sample. `seen` counts the topic's failures up to
-- :scan_limit + 1, which says whether older ones were left out.
WITH recent AS (
    SELECT task_id, updated_at,
           sokka_error_key(error) AS error_key
    FROM {p}_tasks INDEXED BY {p}_tasks_topic_status_updated
    WHERE topic = :topic AND status = 'failed'
    ORDER BY updated_at DESC, task_id DESC
    LIMIT :scan_limit
), ranked AS (
    SELECT *, row_number() OVER (PARTITION BY error_key ORDER BY updated_at DESC, task_id DESC) AS n
    FROM recent
)
SELECT error_key, count(*) AS tasks, min(updated_at), max(updated_at), max(CASE WHEN n = 1 THEN task_id END),
       count(*) OVER () AS groups,
       (SELECT count(*) FROM recent) AS scanned,
       (SELECT count(*) FROM (SELECT 1 FROM {p}_tasks INDEXED BY {p}_tasks_topic_status_updated
                              WHERE topic = :topic AND status = 'failed' LIMIT :scan_limit + 1)) AS seen
FROM ranked
GROUP BY error_key
ORDER BY tasks DESC, max(updated_at) DESC, error_key
LIMIT :limit;

-- name: error_key_matches
-- The list_tasks condition of the error_key filter: the error's key is
-- exactly :error_key (as failure_groups computes it).
sokka_error_key(error) = :error_key

-- name: search_tasks
-- One call of a payload search (BaseStore._search_page): the window (the
-- list_tasks query of the topic's range, its :limit the scan limit) numbered
-- newest first; its size and last key (the s row, none when it is empty); and
-- its first :matches rows meeting the predicate (the payload conditions), after
-- the s row's columns. The store puts in the window and the predicate.
WITH w AS MATERIALIZED (
    SELECT r.*, row_number() OVER (ORDER BY r.updated_at DESC, r.task_id DESC) AS n
    FROM ({window}) AS r
),
s AS (SELECT n, updated_at, task_id FROM w ORDER BY n DESC LIMIT 1),
m AS (SELECT * FROM w WHERE {predicate} ORDER BY n LIMIT :matches)
SELECT s.n, s.updated_at, s.task_id, m.* FROM s LEFT JOIN m ON 1 ORDER BY m.n;

-- name: payload_text
-- Not a query: the text form of the payload field at the JSON path (a
-- parameter, put in for the word path in braces), as stores/payload.py's text_form: a string's text, a number's
-- JSON text as stored (->), true or false; NULL for null, an object, an
-- array, a missing field (object keys only: $."0" never indexes an array).
CASE json_type(data, {path})
    WHEN 'text' THEN data ->> {path}
    WHEN 'integer' THEN data -> {path}
    WHEN 'real' THEN data -> {path}
    WHEN 'true' THEN 'true'
    WHEN 'false' THEN 'false'
END

-- name: payload_equals
-- Not a query: a payload condition with '=' (text: payload_text).
{text} = {value}

-- name: payload_contains
-- Not a query: a payload condition with '~', a case-sensitive substring
-- (instr: no LIKE pattern, so '%' and '_' in the value are plain characters).
instr({text}, {value}) > 0

-- name: pause_topic
INSERT INTO {p}_pauses (topic, paused_at, until_ms, reason, paused_by)
VALUES (:topic, :now, :until_ms, :reason, :paused_by)
ON CONFLICT (topic) DO UPDATE SET
    paused_at = excluded.paused_at, until_ms = excluded.until_ms,
    reason = excluded.reason, paused_by = excluded.paused_by;

-- name: resume_topic
DELETE FROM {p}_pauses WHERE topic = ?
RETURNING topic, paused_at, until_ms, reason, paused_by;

-- name: paused_topics
SELECT topic, paused_at, until_ms, reason, paused_by FROM {p}_pauses
WHERE until_ms IS NULL OR until_ms > ?
ORDER BY topic;

-- name: insert_topic_audit
-- A topic record (pause, resume): no task, so task_id '' and, the columns
-- being NOT NULL, status_after '' and record_ver_after 0 (rows.audit_from_row
-- reads them as None).
INSERT INTO {p}_audit (at, op_user, op_host, tool, action, task_id, topic, status_before,
                       status_after, record_ver_before, record_ver_after, detail, batch_id)
VALUES (?, ?, ?, ?, ?, '', ?, NULL, '', NULL, 0, ?, ?);
