-- The PostgreSQL schema of one namespace. {schema} is the namespace, quoted by
-- psycopg.sql.Identifier. Run in one transaction under an advisory lock, so
-- several processes opening at once is safe; every statement is idempotent.

CREATE SCHEMA IF NOT EXISTS {schema};

CREATE TABLE IF NOT EXISTS {schema}.meta (
    key   text PRIMARY KEY,
    value text NOT NULL
);

-- "C" collation: ids and topics sort by code point, as on the other backends,
-- and keyset comparisons stay cheap.
CREATE TABLE IF NOT EXISTS {schema}.tasks (
    task_id          text COLLATE "C" PRIMARY KEY,
    task_group_id    text COLLATE "C" NOT NULL,
    task_description text,
    topic            text COLLATE "C" NOT NULL,
    sub_topic        text COLLATE "C" NOT NULL,
    status           text COLLATE "C" NOT NULL
        CHECK (status IN ('starting', 'running', 'snoozed', 'failed', 'terminated')),
    pid              text,
    record_ver       bigint NOT NULL,
    data             json NOT NULL,
    error            text,
    snooze_time      bigint,
    timeout_ms       bigint,
    lease_expires_at bigint,
    created_at       bigint NOT NULL,
    updated_at       bigint NOT NULL
);

-- Counts per topic, one column per status, kept as tasks are written (see
-- "Counts" below) so topics() never scans tasks. Each session writes its own
-- shard row (the one it claimed, queries.sql's count_shard; the triggers here
-- pg_backend_pid() % 16), so busy workers do not queue on one counter row;
-- readers add the shards up. Version 2 had a row per (topic,
-- status, shard): a status change then locked and updated two rows, now one.
CREATE TABLE IF NOT EXISTS {schema}.topic_stats (
    topic      text COLLATE "C" NOT NULL,
    shard      smallint NOT NULL,
    starting   bigint NOT NULL DEFAULT 0,
    running    bigint NOT NULL DEFAULT 0,
    snoozed    bigint NOT NULL DEFAULT 0,
    failed     bigint NOT NULL DEFAULT 0,
    terminated bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (topic, shard)
);

-- Upgrade from version 2: carry its counts over, then drop its table. (The
-- namespace is letters, digits and _, so its quoted name is safe in a literal.)
DO $upgrade$
BEGIN
    IF to_regclass('{schema}.topic_counts') IS NOT NULL THEN
        INSERT INTO {schema}.topic_stats AS c (topic, shard, starting, running, snoozed, failed, terminated)
        SELECT topic, shard,
               coalesce(sum(n) FILTER (WHERE status = 'starting'), 0),
               coalesce(sum(n) FILTER (WHERE status = 'running'), 0),
               coalesce(sum(n) FILTER (WHERE status = 'snoozed'), 0),
               coalesce(sum(n) FILTER (WHERE status = 'failed'), 0),
               coalesce(sum(n) FILTER (WHERE status = 'terminated'), 0)
        FROM {schema}.topic_counts GROUP BY topic, shard
        ON CONFLICT (topic, shard) DO UPDATE SET
            starting = c.starting + excluded.starting, running = c.running + excluded.running,
            snoozed = c.snoozed + excluded.snoozed, failed = c.failed + excluded.failed,
            terminated = c.terminated + excluded.terminated;
        DROP TABLE {schema}.topic_counts;
    END IF;
END $upgrade$;
-- Every topic that has tasks has all 16 shard rows (count_inserted makes them
-- with the topic's first tasks), so a status change is one plain UPDATE of a
-- row that exists. This fills them in after the upgrade above (and is a no-op
-- otherwise).
INSERT INTO {schema}.topic_stats (topic, shard)
SELECT t.topic, g FROM (SELECT DISTINCT topic FROM {schema}.topic_stats) t, generate_series(0, 15) g
ON CONFLICT DO NOTHING;

-- Indexes (schema version 3). A status change rewrites the row, and since
-- updated_at is in the listing indexes it can never be a HOT update: every
-- index gets a new entry (a page change and a WAL record) on every write; they
-- were most of what a reserve or a terminate cost the server. A
-- reserve→terminate cycle made 14 index entries in version 2 and makes 10
-- now, and writes about 1.9 KB of WAL instead of 2.8 KB (pgbench's UPDATE, a
-- HOT update: 0 entries, 0.12 KB). So there are as few as the reads allow:
-- * task(): the primary key.
-- * tasks(group): most tasks are their own group (task_group_id = task_id, the
--   default); those are found through the primary key, so the group index
--   holds only the tasks of shared groups (version 2 indexed every task).
-- * list_tasks: newest first by updated_at, under each filter the console uses:
--   no filter, (topic, status), (topic, sub_topic, status). A topic without a
--   status is read as a merge of one index range per status (five at most), so
--   version 2's (topic, updated_at) index is gone: it cost an entry per write.
-- * reservation and the leased lists: the partial indexes, which a write only
--   touches when the new row is in them (a terminate touches neither).
CREATE INDEX IF NOT EXISTS tasks_shared_group ON {schema}.tasks (task_group_id, created_at, task_id)
    WHERE task_group_id <> task_id;
CREATE INDEX IF NOT EXISTS tasks_updated ON {schema}.tasks (updated_at, task_id);
CREATE INDEX IF NOT EXISTS tasks_topic_status_updated
    ON {schema}.tasks (topic, status, updated_at, task_id);
CREATE INDEX IF NOT EXISTS tasks_topic_sub_status_updated
    ON {schema}.tasks (topic, sub_topic, status, updated_at, task_id);
-- Reservation and "oldest starting": the starting tasks of a topic by age.
CREATE INDEX IF NOT EXISTS tasks_starting
    ON {schema}.tasks (topic, created_at, task_id) WHERE status = 'starting';
-- Leases: running and snoozed are exactly the tasks with a lease_expires_at.
CREATE INDEX IF NOT EXISTS tasks_leased
    ON {schema}.tasks (topic, lease_expires_at, task_id) WHERE lease_expires_at IS NOT NULL;
CREATE INDEX IF NOT EXISTS tasks_leased_all
    ON {schema}.tasks (lease_expires_at, task_id) WHERE lease_expires_at IS NOT NULL;

-- Counts. Inserts and deletes are counted once per statement by the triggers
-- below. A status change is counted by the writing statement itself (the
-- count_changes CTEs in queries.sql: reserve_task, write_task, bulk_write),
-- which knows the old and the new status: one plain UPDATE of this backend's
-- shard row (which exists, see above), without the explicit row lock an ON
-- CONFLICT takes. Version 2
-- did it in a PL/pgSQL row trigger: a function call, a trigger-queue entry and
-- an upsert of two rows (two row locks, two updates) on every write. Whoever changes tasks' status by hand must
-- keep topic_stats too.
DROP TRIGGER IF EXISTS count_status_change ON {schema}.tasks;
DROP FUNCTION IF EXISTS {schema}.count_status_change();
-- Version 2's indexes, replaced above (an in-place upgrade drops them).
DROP INDEX IF EXISTS {schema}.tasks_group;
DROP INDEX IF EXISTS {schema}.tasks_topic_updated;

-- Rates over time (schema version 5, stores/rates.py): per topic, the tasks
-- created, terminated, failed and snoozed per minute (width_ms 60,000; the
-- column leaves room for other widths), kept for a day, the longest window:
-- rates() reads the last hour as they are and the last day by 10 minutes by
-- adding them up (a write then moves one row, not one per resolution). Kept
-- by the writes themselves: creates by count_inserted below, terminate / fail
-- / snooze by the count_rate(s) CTEs of write_task and bulk_write
-- (queries.sql), in the same statement. Sharded as topic_stats is: a busy
-- topic's current minute would otherwise be one row every worker queues on; readers add the shards up. A counter
-- update changes no indexed column, so it is a HOT update.
CREATE TABLE IF NOT EXISTS {schema}.rates (
    topic        text COLLATE "C" NOT NULL,
    width_ms     integer NOT NULL,
    bucket_start bigint NOT NULL,
    shard        smallint NOT NULL,
    created      bigint NOT NULL DEFAULT 0,
    terminated   bigint NOT NULL DEFAULT 0,
    failed       bigint NOT NULL DEFAULT 0,
    snoozed      bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (topic, width_ms, bucket_start, shard)
);
-- A shard's older rows at roll-over (roll_rates below).
CREATE INDEX IF NOT EXISTS rates_roll ON {schema}.rates (width_ms, shard, bucket_start);
-- Rows of other widths (none is written now) would never roll over.
DELETE FROM {schema}.rates WHERE width_ms <> 60000;

-- Roll-over: the first row of a new minute (an insert, not the upsert's
-- update: AFTER INSERT row triggers fire only for rows inserted) folds its
-- shard's older rows, of every topic, into shard -1 (one row per topic and
-- minute, which readers add in like any shard) and drops those older than a
-- day, shard -1's too. So it runs once per minute and shard (at most 16 a
-- minute), never on an ordinary write, and touches rows nobody writes any
-- more (only the current minute is written). Kept per topic: a day's minutes
-- in shard -1 and the current minute (plus, until each shard's next write,
-- its last one) in up to 16 shard rows: at most 1,440 + 2 x 16 rows. Rows are
-- folded and deleted in index order, so two backends rolling over at once
-- wait for each other rather than deadlock.
CREATE OR REPLACE FUNCTION {schema}.roll_rates() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    cutoff bigint := NEW.bucket_start - 86400000;
BEGIN
    WITH moved AS (
        DELETE FROM {schema}.rates
        WHERE width_ms = NEW.width_ms AND shard = NEW.shard AND bucket_start < NEW.bucket_start
        RETURNING topic, bucket_start, created, terminated, failed, snoozed
    )
    INSERT INTO {schema}.rates AS r (topic, width_ms, bucket_start, shard, created, terminated, failed, snoozed)
    SELECT topic, NEW.width_ms, bucket_start, -1, sum(created), sum(terminated), sum(failed), sum(snoozed)
    FROM moved WHERE bucket_start > cutoff
    GROUP BY topic, bucket_start ORDER BY topic, bucket_start
    ON CONFLICT (topic, width_ms, bucket_start, shard) DO UPDATE SET
        created = r.created + excluded.created, terminated = r.terminated + excluded.terminated,
        failed = r.failed + excluded.failed, snoozed = r.snoozed + excluded.snoozed;
    DELETE FROM {schema}.rates WHERE width_ms = NEW.width_ms AND shard = -1 AND bucket_start <= cutoff;
    RETURN NULL;
END $$;
CREATE OR REPLACE TRIGGER roll_rates AFTER INSERT ON {schema}.rates
    FOR EACH ROW WHEN (NEW.shard >= 0) EXECUTE FUNCTION {schema}.roll_rates();

CREATE OR REPLACE FUNCTION {schema}.count_inserted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    -- Rates: the tasks created, in the minute of their created_at.
    INSERT INTO {schema}.rates AS r (topic, width_ms, bucket_start, shard, created)
    SELECT topic, 60000, created_at - created_at % 60000, pg_backend_pid() % 16, count(*)
    FROM new_rows
    GROUP BY topic, created_at - created_at % 60000
    ON CONFLICT (topic, width_ms, bucket_start, shard) DO UPDATE SET created = r.created + excluded.created;
    -- A new topic: its 16 shard rows, which status changes then only update.
    INSERT INTO {schema}.topic_stats (topic, shard)
    SELECT t.topic, g FROM (SELECT DISTINCT topic FROM new_rows) t, generate_series(0, 15) g
    WHERE NOT EXISTS (SELECT FROM {schema}.topic_stats s WHERE s.topic = t.topic)
    ON CONFLICT DO NOTHING;
    INSERT INTO {schema}.topic_stats AS c (topic, shard, starting, running, snoozed, failed, terminated)
    SELECT topic, pg_backend_pid() % 16,
           count(*) FILTER (WHERE status = 'starting'), count(*) FILTER (WHERE status = 'running'),
           count(*) FILTER (WHERE status = 'snoozed'), count(*) FILTER (WHERE status = 'failed'),
           count(*) FILTER (WHERE status = 'terminated')
    FROM new_rows GROUP BY topic
    ON CONFLICT (topic, shard) DO UPDATE SET
        starting = c.starting + excluded.starting, running = c.running + excluded.running,
        snoozed = c.snoozed + excluded.snoozed, failed = c.failed + excluded.failed,
        terminated = c.terminated + excluded.terminated;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION {schema}.count_deleted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO {schema}.topic_stats AS c (topic, shard, starting, running, snoozed, failed, terminated)
    SELECT topic, pg_backend_pid() % 16,
           -count(*) FILTER (WHERE status = 'starting'), -count(*) FILTER (WHERE status = 'running'),
           -count(*) FILTER (WHERE status = 'snoozed'), -count(*) FILTER (WHERE status = 'failed'),
           -count(*) FILTER (WHERE status = 'terminated')
    FROM old_rows GROUP BY topic
    ON CONFLICT (topic, shard) DO UPDATE SET
        starting = c.starting + excluded.starting, running = c.running + excluded.running,
        snoozed = c.snoozed + excluded.snoozed, failed = c.failed + excluded.failed,
        terminated = c.terminated + excluded.terminated;
    RETURN NULL;
END $$;

CREATE OR REPLACE TRIGGER count_inserted AFTER INSERT ON {schema}.tasks
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION {schema}.count_inserted();
CREATE OR REPLACE TRIGGER count_deleted AFTER DELETE ON {schema}.tasks
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION {schema}.count_deleted();

-- The audit trail (schema version 2). A store opened with an operator sets
-- sokka.audit (a JSON object: user, host, tool) on its sessions, and bulk runs
-- set sokka.batch for their transaction; these row triggers then record every
-- insert and update the session makes, in the same transaction as the write.
-- Workers' sessions do not set it, and the WHEN clause skips them.
CREATE TABLE IF NOT EXISTS {schema}.audit (
    audit_id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at                bigint NOT NULL,
    op_user           text NOT NULL,
    op_host           text NOT NULL,
    tool              text NOT NULL,
    action            text NOT NULL,
    task_id           text COLLATE "C" NOT NULL,
    topic             text COLLATE "C" NOT NULL,
    status_before     text,
    status_after      text NOT NULL,
    record_ver_before bigint,
    record_ver_after  bigint NOT NULL,
    detail            text NOT NULL,
    batch_id          text
);
CREATE INDEX IF NOT EXISTS audit_at ON {schema}.audit (at, audit_id);
CREATE INDEX IF NOT EXISTS audit_task ON {schema}.audit (task_id, at, audit_id);

CREATE OR REPLACE FUNCTION {schema}.record_audit() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    ctx    json := current_setting('sokka.audit')::json;
    action text;
BEGIN
    IF TG_OP = 'INSERT' THEN
        action := 'create';
    ELSE
        action := CASE NEW.status
            WHEN 'terminated' THEN 'terminate'
            WHEN 'failed' THEN 'fail'
            WHEN 'snoozed' THEN 'snooze'
            WHEN 'starting' THEN 'revoke'
            ELSE CASE WHEN OLD.status = 'running' AND OLD.pid IS NOT DISTINCT FROM NEW.pid
                      THEN 'extend' ELSE 'reserve' END
        END;
    END IF;
    INSERT INTO {schema}.audit (at, op_user, op_host, tool, action, task_id, topic, status_before,
                                status_after, record_ver_before, record_ver_after, detail, batch_id)
    VALUES (NEW.updated_at, ctx->>'user', ctx->>'host', ctx->>'tool', action, NEW.task_id, NEW.topic,
            CASE WHEN TG_OP = 'UPDATE' THEN OLD.status END, NEW.status,
            CASE WHEN TG_OP = 'UPDATE' THEN OLD.record_ver END, NEW.record_ver,
            CASE action WHEN 'fail' THEN coalesce(NEW.error, '')
                        WHEN 'snooze' THEN NEW.snooze_time::text
                        WHEN 'reserve' THEN coalesce(NEW.pid, '')
                        ELSE '' END,
            nullif(current_setting('sokka.batch', true), ''));
    RETURN NULL;
END $$;

CREATE OR REPLACE TRIGGER record_audit_insert AFTER INSERT ON {schema}.tasks
    FOR EACH ROW WHEN (coalesce(current_setting('sokka.audit', true), '') <> '')
    EXECUTE FUNCTION {schema}.record_audit();
CREATE OR REPLACE TRIGGER record_audit_update AFTER UPDATE ON {schema}.tasks
    FOR EACH ROW WHEN (coalesce(current_setting('sokka.audit', true), '') <> '')
    EXECUTE FUNCTION {schema}.record_audit();

-- Paused topics (schema version 4): a row per paused topic. reserve_task
-- takes nothing of a topic whose row has no end (until_ms NULL) or an end
-- still ahead of the server's clock; an ended pause may stay until the next
-- pause or resume of the topic: it is no pause. A writable open of an older
-- schema adds the table (a role that may only read then needs SELECT on it:
-- GRANT SELECT ON ALL TABLES IN SCHEMA ... again).
CREATE TABLE IF NOT EXISTS {schema}.pauses (
    topic     text COLLATE "C" PRIMARY KEY,
    paused_at bigint NOT NULL,
    until_ms  bigint,
    reason    text NOT NULL,
    paused_by text NOT NULL
);
