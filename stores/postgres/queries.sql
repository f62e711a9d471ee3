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

-- name: now_ms
SELECT {now};

-- name: copy_tasks
-- create_tasks: a batch is one COPY (about twice as fast as a multi-row INSERT
-- here: the seven indexes cost the same, the statement around them less).
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
SELECT {columns} FROM {schema}.tasks WHERE task_group_id = %s ORDER BY created_at, task_id;

-- name: list_tasks
SELECT {columns} FROM {schema}.tasks
WHERE {where}
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

-- name: reserve_task
-- One statement. FIFO but not strict: the oldest starting task, or the task
-- whose lease or snooze ended longest ago, whichever was created first.
-- SKIP LOCKED lets concurrent reservers pass each other; under READ COMMITTED
-- a locked row is re-checked against the WHERE clause, so a task is never
-- leased twice.
WITH now AS (SELECT {now} AS ms),
oldest_starting AS (
    SELECT t.task_id, t.created_at FROM {schema}.tasks t
    WHERE t.topic = %(topic)s AND t.status = 'starting'
    ORDER BY t.created_at, t.task_id LIMIT 1
    FOR UPDATE OF t SKIP LOCKED
),
longest_expired AS (
    SELECT t.task_id, t.created_at FROM {schema}.tasks t
    WHERE t.topic = %(topic)s AND t.lease_expires_at IS NOT NULL
      AND t.lease_expires_at <= (SELECT ms FROM now)
    ORDER BY t.lease_expires_at, t.task_id LIMIT 1
    FOR UPDATE OF t SKIP LOCKED
),
candidate AS (
    SELECT c.task_id FROM (
        SELECT * FROM oldest_starting UNION ALL SELECT * FROM longest_expired
    ) c
    ORDER BY c.created_at, c.task_id LIMIT 1
)
UPDATE {schema}.tasks t
SET status = 'running', pid = %(pid)s, lease_expires_at = now.ms + %(lease_ms)s,
    record_ver = t.record_ver + 1, updated_at = now.ms
FROM candidate, now
WHERE t.task_id = candidate.task_id
RETURNING {returning};

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
UPDATE {schema}.tasks t
SET status = %(target)s,
    pid = NULL,
    error = CASE WHEN %(set_error)s THEN %(error)s ELSE t.error END,
    snooze_time = coalesce(%(snooze_ms)s::bigint, t.snooze_time),
    lease_expires_at = now.ms + %(snooze_ms)s::bigint,
    record_ver = t.record_ver + 1,
    updated_at = now.ms
FROM (SELECT {now} AS ms) now
WHERE t.task_id = %(task_id)s
  AND t.status = ANY(%(from_statuses)s::text[])
  AND (NOT %(owner_check)s OR t.status = 'snoozed' OR t.pid IS NOT DISTINCT FROM %(pid)s::text)
  AND (%(record_ver)s::bigint IS NULL OR t.record_ver = %(record_ver)s::bigint)
RETURNING {returning};

-- name: bulk_write
-- A chunk of terminate / fail / snooze / revoke in one statement: each item
-- only at its record_ver (and, unless revoking, its owner), only from a status
-- the transition table allows. Rows are locked in task_id order, so two bulk
-- writes never deadlock each other.
WITH items AS (
    SELECT * FROM unnest(%(ids)s::text[], %(vers)s::bigint[], %(pids)s::text[]) AS i(task_id, record_ver, pid)
),
locked AS (
    SELECT t.task_id FROM {schema}.tasks t JOIN items USING (task_id)
    ORDER BY t.task_id
    FOR UPDATE OF t
)
UPDATE {schema}.tasks t
SET status = %(target)s,
    pid = NULL,
    error = CASE WHEN %(set_error)s THEN %(error)s ELSE t.error END,
    snooze_time = coalesce(%(snooze_ms)s::bigint, t.snooze_time),
    lease_expires_at = now.ms + %(snooze_ms)s::bigint,
    record_ver = t.record_ver + 1,
    updated_at = now.ms
FROM items, (SELECT {now} AS ms) now
WHERE t.task_id = items.task_id
  AND t.task_id IN (SELECT task_id FROM locked)
  AND t.record_ver = items.record_ver
  AND t.status = ANY(%(from_statuses)s::text[])
  AND (NOT %(owner_check)s OR t.status = 'snoozed' OR t.pid IS NOT DISTINCT FROM items.pid)
RETURNING {returning};

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
    SELECT topic, status, sum(n)::bigint AS n FROM {schema}.topic_counts
    GROUP BY topic, status
),
live AS (SELECT topic FROM counts GROUP BY topic HAVING sum(n) > 0)
SELECT
    live.topic,
    (SELECT json_object_agg(c.status, c.n) FROM counts c WHERE c.topic = live.topic),
    (SELECT count(*) FROM {schema}.tasks x
     WHERE x.topic = live.topic AND x.lease_expires_at IS NOT NULL
       AND x.lease_expires_at <= now.ms AND x.status = 'running'),
    (SELECT min(x.created_at) FROM {schema}.tasks x
     WHERE x.topic = live.topic AND x.status = 'starting')
FROM live, now
ORDER BY live.topic;

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
