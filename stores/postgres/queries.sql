-- Queries of the PostgreSQL store. {schema} is the namespace (an Identifier),
-- {columns} the task columns in Task order, {now} the server clock in epoch ms.

-- name: lock_schema
SELECT pg_advisory_xact_lock(hashtext('sokka-schema:' || %s));

-- name: schema_version
SELECT value FROM {schema}.meta WHERE key = 'schema_version';

-- name: set_schema_version
-- Moves the version up (an older schema was just upgraded), never down.
INSERT INTO {schema}.meta AS m (key, value) VALUES ('schema_version', %s)
ON CONFLICT (key) DO UPDATE SET value = excluded.value
WHERE m.value::int < excluded.value::int;

-- name: access
-- What this session may do in the namespace, read from the catalogs and the
-- privilege functions (which never fail), so that opening never tries what the
-- role may not: a refused statement is an ERROR in the server's log. "owns":
-- the role owns the tasks table, so it may run schema.sql (CREATE OR REPLACE
-- of its functions and triggers). "may_write": any of INSERT, UPDATE, DELETE.
SELECT n.oid IS NOT NULL AS schema_exists,
       has_database_privilege(current_database(), 'CREATE') AS may_create,
       coalesce(has_schema_privilege(n.oid, 'USAGE'), false) AS may_use,
       coalesce(pg_has_role(t.relowner, 'USAGE'), false) AS owns,
       coalesce(has_table_privilege(t.oid, 'INSERT,UPDATE,DELETE'), false) AS may_write,
       coalesce(has_table_privilege(m.oid, 'INSERT'), false) AS may_mark,
       pg_is_in_recovery() AS standby,
       current_setting('transaction_read_only') = 'on' AS read_only_session
FROM (SELECT %s::name AS nspname) s
LEFT JOIN pg_namespace n ON n.nspname = s.nspname
LEFT JOIN pg_class t ON t.relnamespace = n.oid AND t.relname = 'tasks'
LEFT JOIN pg_class m ON m.relnamespace = n.oid AND m.relname = 'meta';

-- name: identity
SELECT value FROM {schema}.meta WHERE key = 'identity';

-- name: set_identity
-- Written once, with the schema (a random id, then the server's clock); an
-- older namespace gets one on its next writable open.
INSERT INTO {schema}.meta (key, value) VALUES ('identity', %s || ':' || {now})
ON CONFLICT (key) DO NOTHING;

-- name: durability
SELECT name, setting FROM pg_settings
WHERE name IN ('fsync', 'synchronous_commit', 'full_page_writes', 'wal_writer_delay');

-- name: now_ms
SELECT {now};

-- name: copy_tasks
-- create_tasks: one COPY per call (about twice as fast as a multi-row INSERT
-- here: the indexes cost the same, the statement around them less). A task
-- that is its own group gets five index entries (version 2: seven).
-- The row triggers (audit) and the statement trigger (counts) fire as for INSERT.
COPY {schema}.tasks ({columns}) FROM STDIN;

-- name: taken_id
-- After a batch hit the primary key: the first of its ids that exists.
SELECT task_id FROM {schema}.tasks WHERE task_id = ANY(%s::text[]) LIMIT 1;

-- name: select_task
SELECT {columns} FROM {schema}.tasks WHERE task_id = %s;

-- name: select_task_and_now
SELECT {columns}, {now} FROM {schema}.tasks WHERE task_id = %s;

-- name: group_tasks
-- A task that is its own group is found by its id; only shared groups are in
-- the group index (schema.sql).
SELECT {columns} FROM {schema}.tasks WHERE task_group_id = %(group)s AND task_group_id <> task_id
UNION ALL
SELECT {columns} FROM {schema}.tasks WHERE task_id = %(group)s AND task_group_id = task_id
ORDER BY created_at, task_id;

-- name: list_tasks
SELECT {columns} FROM {schema}.tasks
WHERE {where}
ORDER BY updated_at DESC, task_id DESC
LIMIT %(limit)s;

-- name: list_tasks_by_status
-- A topic without a status filter: one range of the (topic, status, ...) index
-- per status, merged (schema.sql says why there is no (topic, updated_at) index).
SELECT {columns} FROM (
{branches}
) t
ORDER BY updated_at DESC, task_id DESC
LIMIT %(limit)s;

-- name: list_leased_topic
SELECT {columns} FROM {schema}.tasks
WHERE topic = %(topic)s AND lease_expires_at IS NOT NULL
  AND (lease_expires_at, task_id) > (%(after_at)s, %(after_id)s)
ORDER BY lease_expires_at, task_id
LIMIT %(limit)s;

-- name: list_leased_all
SELECT {columns} FROM {schema}.tasks
WHERE lease_expires_at IS NOT NULL AND (lease_expires_at, task_id) > (%(after_at)s, %(after_id)s)
ORDER BY lease_expires_at, task_id
LIMIT %(limit)s;

-- name: written_set
-- Not a query: the SET clause of write_task and bulk_write (t is the task, now
-- the statement's clock), put where their text names this block.
SET status = %(target)s,
        pid = NULL,
        error = CASE WHEN %(set_error)s THEN %(error)s ELSE t.error END,
        snooze_time = coalesce(%(snooze_ms)s::bigint, t.snooze_time),
        lease_expires_at = now.ms + %(snooze_ms)s::bigint,
        record_ver = t.record_ver + 1,
        updated_at = now.ms

-- name: count_shard
-- Not a query: the shard row of topic_stats and rates this session writes. A
-- writable store's connection claims a shard of its own when it connects
-- (claim_count_shard); a session without one (another client running these
-- statements, a shard claimed by 16 connections already) writes the shard of
-- its backend's pid, as schema.sql's triggers do. Any shard is correct:
-- readers add them all up; a shard of its own only spares a session waiting
-- on another's row lock, held until its commit is flushed.
coalesce(nullif(current_setting('sokka.count_shard', true), '')::int, mod(pg_backend_pid(), 16))

-- name: claim_count_shard
-- The first of the 16 shards no other session of this namespace holds (a
-- session-level advisory lock, released when the connection ends), set as
-- this session's sokka.count_shard; none when all are held, or on a standby
-- (which takes no advisory lock and no write).
SELECT set_config('sokka.count_shard', coalesce((
    SELECT s::text FROM generate_series(0, 15) s
    WHERE NOT pg_is_in_recovery() AND pg_try_advisory_lock(%(key)s::int, s)
    LIMIT 1  -- no ORDER BY: a sort would try every row first, taking every free shard
), ''), false);

-- name: count_change
-- Not a query: the CTE that reserve_task and write_task end with, put where
-- their text names this block. "written" is the row written (at most one),
-- with its status before (old_status); the topic's counts move in this
-- backend's shard row of topic_stats, which exists (schema.sql), with one plain
-- UPDATE: no aggregate, no upsert (each measurably dearer per statement).
counted AS (
    UPDATE {schema}.topic_stats c
    SET starting = c.starting + (w.status = 'starting')::int - (w.old_status = 'starting')::int,
        running = c.running + (w.status = 'running')::int - (w.old_status = 'running')::int,
        snoozed = c.snoozed + (w.status = 'snoozed')::int - (w.old_status = 'snoozed')::int,
        failed = c.failed + (w.status = 'failed')::int - (w.old_status = 'failed')::int,
        terminated = c.terminated + (w.status = 'terminated')::int - (w.old_status = 'terminated')::int
    FROM written w
    WHERE c.topic = w.topic AND c.shard = {count_shard} AND w.status <> w.old_status
)

-- name: count_rate
-- Not a query: the CTE that write_task ends with (rates, schema.sql): a
-- terminate, fail or snooze counted in the minute bucket of its updated_at,
-- in this backend's shard row (an upsert: the bucket's first write makes it).
rated AS (
    INSERT INTO {schema}.rates AS r (topic, width_ms, bucket_start, shard, terminated, failed, snoozed)
    SELECT w.topic, 60000, w.updated_at - mod(w.updated_at, 60000), {count_shard},
           (w.status = 'terminated')::int, (w.status = 'failed')::int, (w.status = 'snoozed')::int
    FROM written w
    WHERE w.status IN ('terminated', 'failed', 'snoozed') AND w.status <> w.old_status
    ON CONFLICT (topic, width_ms, bucket_start, shard) DO UPDATE SET
        terminated = r.terminated + excluded.terminated, failed = r.failed + excluded.failed,
        snoozed = r.snoozed + excluded.snoozed
)

-- name: count_rates
-- The same for bulk_write: added up per topic and bucket first (an upsert may
-- not touch one row twice).
rated AS (
    INSERT INTO {schema}.rates AS r (topic, width_ms, bucket_start, shard, terminated, failed, snoozed)
    SELECT w.topic, 60000, w.updated_at - mod(w.updated_at, 60000), {count_shard},
           count(*) FILTER (WHERE w.status = 'terminated'), count(*) FILTER (WHERE w.status = 'failed'),
           count(*) FILTER (WHERE w.status = 'snoozed')
    FROM written w
    WHERE w.status IN ('terminated', 'failed', 'snoozed') AND w.status <> w.old_status
    GROUP BY w.topic, w.updated_at - mod(w.updated_at, 60000)
    ON CONFLICT (topic, width_ms, bucket_start, shard) DO UPDATE SET
        terminated = r.terminated + excluded.terminated, failed = r.failed + excluded.failed,
        snoozed = r.snoozed + excluded.snoozed
)

-- name: count_changes
-- The same for bulk_write, whose "written" has many rows: added up per topic
-- first (an UPDATE joined to several rows would apply only one of them).
delta AS (
    SELECT topic,
           sum((status = 'starting')::int - (old_status = 'starting')::int) AS starting,
           sum((status = 'running')::int - (old_status = 'running')::int) AS running,
           sum((status = 'snoozed')::int - (old_status = 'snoozed')::int) AS snoozed,
           sum((status = 'failed')::int - (old_status = 'failed')::int) AS failed,
           sum((status = 'terminated')::int - (old_status = 'terminated')::int) AS terminated
    FROM written WHERE status <> old_status GROUP BY topic
),
counted AS (
    UPDATE {schema}.topic_stats c
    SET starting = c.starting + d.starting, running = c.running + d.running, snoozed = c.snoozed + d.snoozed,
        failed = c.failed + d.failed, terminated = c.terminated + d.terminated
    FROM delta d
    WHERE c.topic = d.topic AND c.shard = {count_shard}
)

-- name: reserve_task
-- One statement. FIFO but not strict: the oldest starting task, or the task
-- whose lease or snooze ended longest ago, whichever was created first.
-- SKIP LOCKED lets concurrent reservers pass each other; under READ COMMITTED
-- a locked row is re-checked against the WHERE clause, so a task is never
-- leased twice. The candidate's status is that of the row as locked, which is
-- the row updated: the status change is counted in the same statement.
-- Nothing while the topic is paused (a pauses row without an end or with one
-- ahead of the server's clock): checked once (an InitPlan) before any row is
-- read or locked, in this statement's snapshot, so a reservation that starts
-- after pause_topic committed never takes a task.
WITH now AS (SELECT {now} AS ms),
open_topic AS (
    SELECT NOT EXISTS (
        SELECT FROM {schema}.pauses p
        WHERE p.topic = %(topic)s AND (p.until_ms IS NULL OR p.until_ms > (SELECT ms FROM now))
    ) AS yes
),
oldest_starting AS (
    SELECT t.task_id, t.created_at, t.status FROM {schema}.tasks t
    WHERE t.topic = %(topic)s AND t.status = 'starting' AND (SELECT yes FROM open_topic)
    ORDER BY t.created_at, t.task_id LIMIT 1
    FOR UPDATE OF t SKIP LOCKED
),
longest_expired AS (
    SELECT t.task_id, t.created_at, t.status FROM {schema}.tasks t
    WHERE t.topic = %(topic)s AND t.lease_expires_at IS NOT NULL
      AND t.lease_expires_at <= (SELECT ms FROM now) AND (SELECT yes FROM open_topic)
    ORDER BY t.lease_expires_at, t.task_id LIMIT 1
    FOR UPDATE OF t SKIP LOCKED
),
candidate AS (
    SELECT c.task_id, c.status FROM (
        SELECT * FROM oldest_starting UNION ALL SELECT * FROM longest_expired
    ) c
    ORDER BY c.created_at, c.task_id LIMIT 1
),
reserved AS (
    UPDATE {schema}.tasks t
    SET status = 'running', pid = %(pid)s, lease_expires_at = now.ms + %(lease_ms)s,
        record_ver = t.record_ver + 1, updated_at = now.ms
    FROM candidate, now
    WHERE t.task_id = candidate.task_id
    RETURNING {returning}, candidate.status AS old_status
),
written AS (SELECT * FROM reserved),
{count_change}
SELECT {task_json} FROM reserved;

-- name: reserve_tasks
-- reserve_tasks: reserve_task for up to %(max)s tasks in one statement, each
-- its own lease. The oldest starting tasks and the longest ended leases or
-- snoozes (each branch locked SKIP LOCKED, so concurrent reservers pass each
-- other), merged by created_at as reserve_task picks them one by one. The
-- pause check and the counting are reserve_task's (count_changes: many rows).
WITH now AS (SELECT {now} AS ms),
open_topic AS (
    SELECT NOT EXISTS (
        SELECT FROM {schema}.pauses p
        WHERE p.topic = %(topic)s AND (p.until_ms IS NULL OR p.until_ms > (SELECT ms FROM now))
    ) AS yes
),
oldest_starting AS (
    SELECT t.task_id, t.created_at, t.status FROM {schema}.tasks t
    WHERE t.topic = %(topic)s AND t.status = 'starting' AND (SELECT yes FROM open_topic)
    ORDER BY t.created_at, t.task_id LIMIT %(max)s
    FOR UPDATE OF t SKIP LOCKED
),
longest_expired AS (
    SELECT t.task_id, t.created_at, t.status FROM {schema}.tasks t
    WHERE t.topic = %(topic)s AND t.lease_expires_at IS NOT NULL
      AND t.lease_expires_at <= (SELECT ms FROM now) AND (SELECT yes FROM open_topic)
    ORDER BY t.lease_expires_at, t.task_id LIMIT %(max)s
    FOR UPDATE OF t SKIP LOCKED
),
candidate AS (
    SELECT c.task_id, c.status FROM (
        SELECT * FROM oldest_starting UNION ALL SELECT * FROM longest_expired
    ) c
    ORDER BY c.created_at, c.task_id LIMIT %(max)s
),
written AS (
    UPDATE {schema}.tasks t
    SET status = 'running', pid = %(pid)s, lease_expires_at = now.ms + %(lease_ms)s,
        record_ver = t.record_ver + 1, updated_at = now.ms
    FROM candidate, now
    WHERE t.task_id = candidate.task_id
    RETURNING {returning}, candidate.status AS old_status
),
{count_changes}
SELECT {columns} FROM written ORDER BY created_at, task_id;

-- name: extend_leases
-- extend_leases: each of %(ids)s renewed exactly when rules.check_extend would
-- not raise for it (running, held by %(pid)s, lease not ended). Rows are
-- locked in task_id order, as bulk_write locks them, so the two never deadlock.
WITH locked AS (
    SELECT t.task_id FROM {schema}.tasks t
    WHERE t.task_id = ANY(%(ids)s::text[])
    ORDER BY t.task_id
    FOR UPDATE OF t
)
UPDATE {schema}.tasks t
SET lease_expires_at = now.ms + %(lease_ms)s, record_ver = t.record_ver + 1, updated_at = now.ms
FROM (SELECT {now} AS ms) now
WHERE t.task_id IN (SELECT task_id FROM locked) AND t.status = 'running' AND t.pid = %(pid)s
  AND t.lease_expires_at > now.ms
RETURNING {returning};

-- name: select_tasks_and_now
-- The tasks of a batch that a batched write missed, and the server's clock, to
-- say why.
SELECT {columns}, {now} FROM {schema}.tasks WHERE task_id = ANY(%s::text[]);

-- name: extend_lease
-- Succeeds exactly when rules.check_extend would not raise.
UPDATE {schema}.tasks t
SET lease_expires_at = now.ms + %(lease_ms)s, record_ver = t.record_ver + 1, updated_at = now.ms
FROM (SELECT {now} AS ms) now
WHERE t.task_id = %(task_id)s AND t.status = 'running' AND t.pid = %(pid)s
  AND t.lease_expires_at > now.ms
  AND (%(record_ver)s::bigint IS NULL OR t.record_ver = %(record_ver)s::bigint)
RETURNING t.task_id;

-- name: write_task
-- terminate, fail, snooze and revoke_lease. Succeeds exactly when
-- rules.check_write / check_revoke would not raise: the status may move to
-- the target (from_statuses comes from ALLOWED_TRANSITIONS), the owner
-- matches unless the task is snoozed or the check is off, the version matches.
-- The status change is counted in the same statement. "old" is the row
-- version the statement started from (same ctid), which gives the status
-- before; if a concurrent write replaced that version meanwhile, the re-checked
-- row has another ctid and nothing is written: the store then reads the task
-- and either names the error or tries again.
WITH written AS (
    UPDATE {schema}.tasks t
    {written_set}
    FROM (SELECT {now} AS ms) now, {schema}.tasks old
    WHERE t.task_id = %(task_id)s AND old.task_id = %(task_id)s AND old.ctid = t.ctid
      AND t.status = ANY(%(from_statuses)s::text[])
      AND (NOT %(owner_check)s OR t.status = 'snoozed' OR t.pid IS NOT DISTINCT FROM %(pid)s::text)
      AND (%(record_ver)s::bigint IS NULL OR t.record_ver = %(record_ver)s::bigint)
    RETURNING {returning}, old.status AS old_status
),
{count_change},
{count_rate}
SELECT {task_json} FROM written;

-- name: bulk_write
-- A chunk of terminate / fail / snooze / revoke in one statement: each item
-- only at its record_ver (and, unless revoking, its owner), only from a status
-- the transition table allows. Rows are locked in task_id order, so two bulk
-- writes never deadlock each other. Status changes are counted as in
-- write_task (a row replaced meanwhile has a new record_ver, so it is a miss
-- either way).
WITH items AS (
    SELECT * FROM unnest(%(ids)s::text[], %(vers)s::bigint[], %(pids)s::text[]) AS i(task_id, record_ver, pid)
),
locked AS (
    SELECT t.task_id FROM {schema}.tasks t JOIN items USING (task_id)
    ORDER BY t.task_id
    FOR UPDATE OF t
),
written AS (
    UPDATE {schema}.tasks t
    {written_set}
    FROM items, (SELECT {now} AS ms) now, {schema}.tasks old
    WHERE t.task_id = items.task_id AND old.task_id = items.task_id AND old.ctid = t.ctid
      AND t.task_id IN (SELECT task_id FROM locked)
      AND t.record_ver = items.record_ver
      AND t.status = ANY(%(from_statuses)s::text[])
      AND (NOT %(owner_check)s OR t.status = 'snoozed' OR t.pid IS NOT DISTINCT FROM items.pid)
    RETURNING {returning}, old.status AS old_status
),
{count_changes},
{count_rates}
SELECT {columns} FROM written;

-- name: bulk_current
SELECT task_id, record_ver, status, pid FROM {schema}.tasks WHERE task_id = ANY(%s::text[]);

-- name: set_audit_operator
-- Session-wide: every write of this connection is recorded (see schema.sql).
SELECT set_config('sokka.audit', %s, false);

-- name: set_audit_batch
-- Until the end of the transaction: the bulk run the records belong to.
SELECT set_config('sokka.batch', %s, true);

-- name: audit_all
SELECT {audit_columns} FROM {schema}.audit
WHERE (at, audit_id) < (%(after_at)s, %(after_id)s)
ORDER BY at DESC, audit_id DESC
LIMIT %(limit)s;

-- name: audit_task
SELECT {audit_columns} FROM {schema}.audit
WHERE task_id = %(task_id)s AND (at, audit_id) < (%(after_at)s, %(after_id)s)
ORDER BY at DESC, audit_id DESC
LIMIT %(limit)s;

-- name: topics
WITH now AS (SELECT {now} AS ms),
counts AS (
    SELECT topic, sum(starting)::bigint AS starting, sum(running)::bigint AS running,
           sum(snoozed)::bigint AS snoozed, sum(failed)::bigint AS failed,
           sum(terminated)::bigint AS terminated
    FROM {schema}.topic_stats GROUP BY topic
)
SELECT
    c.topic, c.starting, c.running, c.snoozed, c.failed, c.terminated,
    (SELECT count(*) FROM {schema}.tasks x
     WHERE x.topic = c.topic AND x.lease_expires_at IS NOT NULL
       AND x.lease_expires_at <= now.ms AND x.status = 'running'),
    (SELECT min(x.created_at) FROM {schema}.tasks x
     WHERE x.topic = c.topic AND x.status = 'starting')
FROM counts c, now
WHERE c.starting + c.running + c.snoozed + c.failed + c.terminated > 0
ORDER BY c.topic;

-- name: rates_topic
-- A topic's buckets of the read width (%(width)s: 60,000 or 600,000) in the
-- window, made of the minute rows (shards and, for 10 minutes, minutes added
-- up), and the server's clock the window was judged on (the row of now alone
-- when no bucket is kept).
WITH now AS (SELECT {now} AS ms),
b AS (
    SELECT r.topic, r.bucket_start - mod(r.bucket_start, %(width)s) AS bucket_start,
           sum(r.created)::bigint AS c, sum(r.terminated)::bigint AS t, sum(r.failed)::bigint AS f,
           sum(r.snoozed)::bigint AS s
    FROM {schema}.rates r, now
    WHERE r.topic = %(topic)s AND r.width_ms = 60000
      AND r.bucket_start >= now.ms - mod(now.ms, %(width)s) - (%(buckets)s - 1) * %(width)s::bigint
    GROUP BY 1, 2
)
SELECT b.topic, b.bucket_start, b.c, b.t, b.f, b.s, now.ms FROM now LEFT JOIN b ON true;

-- name: rates_all
WITH now AS (SELECT {now} AS ms),
b AS (
    SELECT r.topic, r.bucket_start - mod(r.bucket_start, %(width)s) AS bucket_start,
           sum(r.created)::bigint AS c, sum(r.terminated)::bigint AS t, sum(r.failed)::bigint AS f,
           sum(r.snoozed)::bigint AS s
    FROM {schema}.rates r, now
    WHERE r.width_ms = 60000
      AND r.bucket_start >= now.ms - mod(now.ms, %(width)s) - (%(buckets)s - 1) * %(width)s::bigint
    GROUP BY 1, 2
)
SELECT b.topic, b.bucket_start, b.c, b.t, b.f, b.s, now.ms FROM now LEFT JOIN b ON true;

-- name: purge_batch
-- Retention: up to %(limit)s finished tasks last updated before the cutoff, in
-- one statement. The cutoff is a subquery, computed once, so the index on
-- updated_at can serve it (the clock is volatile); SKIP LOCKED passes rows a
-- concurrent write holds. The count_deleted trigger keeps the topic counts.
WITH doomed AS (
    SELECT task_id FROM {schema}.tasks
    WHERE updated_at < (SELECT {now} - %(older_than_ms)s::bigint)
      AND status = ANY(%(statuses)s::text[])
    LIMIT %(limit)s
    FOR UPDATE SKIP LOCKED
)
DELETE FROM {schema}.tasks t USING doomed WHERE t.task_id = doomed.task_id;

-- name: purge_batch_topic
WITH doomed AS (
    SELECT task_id FROM {schema}.tasks
    WHERE topic = %(topic)s AND status = ANY(%(statuses)s::text[])
      AND updated_at < (SELECT {now} - %(older_than_ms)s::bigint)
    LIMIT %(limit)s
    FOR UPDATE SKIP LOCKED
)
DELETE FROM {schema}.tasks t USING doomed WHERE t.task_id = doomed.task_id;

-- name: error_key_of
-- A part of error_key_matches and failure_groups: a failed task's error key,
-- stores/failures.py's error_key: the error up to its first line feed; for a
-- Python traceback (the header starts the text), its last line, once spaces,
-- tabs, carriage returns and line feeds at the end are taken off (reverse
-- twice: one linear pass, no regular expression).
CASE WHEN error LIKE 'Traceback (most recent call last):%%'
     THEN reverse(split_part(reverse(rtrim(error, E' \t\r\n')), E'\n', 1))
     ELSE split_part(coalesce(error, ''), E'\n', 1) END

-- name: error_key_matches
-- The list_tasks condition of the error_key filter: the error's key is
-- exactly %(error_key)s (as failure_groups computes it).
{error_key_of} = %(error_key)s

-- name: failure_groups
-- The newest %(scan_limit)s failed tasks of a topic (one range of the
-- tasks_topic_status_updated index), grouped by their error key
-- (stores/failures.py's error_key: the text before the first line feed, or
-- for a Python traceback its last line, blanks at the end left out); each
-- group's newest task is its sample. `seen` counts the topic's failures up to
-- scan_limit + 1, which says whether older ones were left out.
WITH recent AS (
    SELECT task_id, updated_at, {error_key_of} COLLATE "C" AS error_key
    FROM {schema}.tasks
    WHERE topic = %(topic)s AND status = 'failed'
    ORDER BY updated_at DESC, task_id DESC
    LIMIT %(scan_limit)s
)
SELECT error_key, count(*) AS tasks, min(updated_at), max(updated_at),
       (array_agg(task_id ORDER BY updated_at DESC, task_id DESC))[1],
       count(*) OVER () AS groups,
       (SELECT count(*) FROM recent) AS scanned,
       (SELECT count(*) FROM (SELECT FROM {schema}.tasks WHERE topic = %(topic)s AND status = 'failed'
                              LIMIT %(scan_limit)s + 1) s) AS seen
FROM recent
GROUP BY error_key
ORDER BY tasks DESC, max(updated_at) DESC, error_key
LIMIT %(limit)s;

-- name: select_task_to_rerun
-- The original of a re-run, kept from being deleted (a purge) until the
-- re-run commits; a re-run does not change it.
SELECT {columns} FROM {schema}.tasks WHERE task_id = %s FOR SHARE;

-- name: skip_audit_trigger
-- Until the end of the transaction: the row triggers record nothing; a re-run
-- writes its own two records (insert_rerun_audit), each with its link.
SELECT set_config('sokka.audit', '', true);

-- name: insert_rerun
-- The new task of a re-run, at the server's clock; the count_inserted
-- statement trigger counts it.
WITH clock AS (SELECT {now} AS now)
INSERT INTO {schema}.tasks ({columns})
SELECT %(task_id)s, %(group)s, %(description)s, %(topic)s, %(sub_topic)s, 'starting', NULL, 1,
       %(data)s::json, NULL, NULL, %(timeout_ms)s, NULL, clock.now, clock.now
FROM clock
RETURNING {columns};

-- name: insert_rerun_audit
-- The two records of a re-run: "rerun" on the original (which it leaves as
-- it is; detail: the new task's id) and "create" of the new task (detail: the
-- original's id). %(audit)s is the operator's context (user, host, tool, batch).
INSERT INTO {schema}.audit (at, op_user, op_host, tool, action, task_id, topic, status_before,
                            status_after, record_ver_before, record_ver_after, detail, batch_id)
SELECT %(at)s, ctx.c->>'user', ctx.c->>'host', ctx.c->>'tool', r.action, r.task_id, %(topic)s,
       r.status_before, r.status_after, r.ver_before, r.ver_after, r.detail, nullif(ctx.c->>'batch', '')
FROM (SELECT %(audit)s::json AS c) AS ctx,
     (VALUES ('rerun', %(original)s::text, %(status)s::text, %(status)s::text,
              %(record_ver)s::bigint, %(record_ver)s::bigint, %(new_id)s::text),
             ('create', %(new_id)s::text, NULL, 'starting', NULL, 1, %(original)s::text))
         AS r (action, task_id, status_before, status_after, ver_before, ver_after, detail);

-- name: search_tasks
-- One call of a payload search (BaseStore._search_page): the window (the
-- list_tasks query of the topic's range, its %(limit)s the scan limit)
-- numbered newest first; its size and last key (the s row, none when it is
-- empty); and its first %(matches)s rows meeting the payload conditions
-- (predicate), after the s row's columns. Run in a read-only transaction
-- with its own statement_timeout (search_begin); no row is locked.
WITH w AS MATERIALIZED (
    SELECT r.*, row_number() OVER (ORDER BY r.updated_at DESC, r.task_id DESC) AS n
    FROM ({window}) AS r
),
s AS (SELECT n, updated_at, task_id FROM w ORDER BY n DESC LIMIT 1),
m AS (SELECT * FROM w WHERE {predicate} ORDER BY n LIMIT %(matches)s)
SELECT s.n, s.updated_at, s.task_id, m.* FROM s LEFT JOIN m ON true ORDER BY m.n;

-- name: search_begin
-- The first statement of a search's transaction: read-only, and a time limit
-- (ms, as text) for this transaction only.
SELECT set_config('transaction_read_only', 'on', true),
       set_config('statement_timeout', %(timeout_ms)s, true);

-- name: payload_text
-- Not a query: the text form of a payload field (field: a chain of ->
-- with each key a text parameter, so a key never indexes an array), as
-- stores/payload.py's text_form: a string's text, a number's JSON text as
-- stored (data is json, not jsonb: its text is kept), true or false; NULL
-- for null, an object, an array, a missing field.
CASE WHEN json_typeof({field}) IN ('string', 'number', 'boolean') THEN {field} #>> '{{}}' END

-- name: payload_equals
-- Not a query: a payload condition with '='.
{text} = {value}

-- name: payload_contains
-- Not a query: a payload condition with '~', a case-sensitive substring
-- (strpos: no LIKE pattern, so percent signs and underscores in the value
-- are plain characters).
strpos({text}, {value}) > 0

-- name: pause_topic
-- The pause (replacing one) at the server's clock %(now)s, read in the same
-- transaction; its end computed there (until_ms, else now + for_ms, else none).
INSERT INTO {schema}.pauses AS p (topic, paused_at, until_ms, reason, paused_by)
VALUES (%(topic)s, %(now)s, %(until_ms)s, %(reason)s, %(paused_by)s)
ON CONFLICT (topic) DO UPDATE SET
    paused_at = excluded.paused_at, until_ms = excluded.until_ms,
    reason = excluded.reason, paused_by = excluded.paused_by;

-- name: resume_topic
-- The pause deleted, and whether it was still on by the server's clock.
DELETE FROM {schema}.pauses p WHERE p.topic = %s
RETURNING p.topic, p.paused_at, p.until_ms, p.reason, p.paused_by,
          p.until_ms IS NULL OR p.until_ms > {now} AS active,
          {now} AS now;

-- name: paused_topics
SELECT topic, paused_at, until_ms, reason, paused_by FROM {schema}.pauses
WHERE until_ms IS NULL OR until_ms > {now}
ORDER BY topic;

-- name: insert_topic_audit
-- A topic record (pause, resume): no task, so task_id '' and, the columns
-- being NOT NULL, status_after '' and record_ver_after 0 (rows.audit_from_row
-- reads them as None). %(audit)s is the operator's context (user, host, tool, batch).
INSERT INTO {schema}.audit (at, op_user, op_host, tool, action, task_id, topic, status_before,
                            status_after, record_ver_before, record_ver_after, detail, batch_id)
SELECT %(at)s, ctx.c->>'user', ctx.c->>'host', ctx.c->>'tool', %(action)s, '', %(topic)s,
       NULL, '', NULL, 0, %(detail)s, nullif(ctx.c->>'batch', '')
FROM (SELECT %(audit)s::json AS c) AS ctx;
