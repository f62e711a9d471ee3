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

-- Counts per topic and status, kept by triggers so topics() never scans tasks.
-- Each backend writes its own shard row (pg_backend_pid() % 16), so busy
-- workers do not queue on one counter row; readers add the shards up.
CREATE TABLE IF NOT EXISTS {schema}.topic_counts (
    topic  text COLLATE "C" NOT NULL,
    status text COLLATE "C" NOT NULL,
    shard  smallint NOT NULL,
    n      bigint NOT NULL,
    PRIMARY KEY (topic, status, shard)
);

CREATE INDEX IF NOT EXISTS tasks_group ON {schema}.tasks (task_group_id, created_at, task_id);
CREATE INDEX IF NOT EXISTS tasks_updated ON {schema}.tasks (updated_at, task_id);
CREATE INDEX IF NOT EXISTS tasks_topic_updated ON {schema}.tasks (topic, updated_at, task_id);
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

CREATE OR REPLACE FUNCTION {schema}.count_inserted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO {schema}.topic_counts AS c (topic, status, shard, n)
    SELECT topic, status, pg_backend_pid() % 16, count(*) FROM new_rows GROUP BY topic, status
    ON CONFLICT (topic, status, shard) DO UPDATE SET n = c.n + excluded.n;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION {schema}.count_deleted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO {schema}.topic_counts AS c (topic, status, shard, n)
    SELECT topic, status, pg_backend_pid() % 16, -count(*) FROM old_rows GROUP BY topic, status
    ON CONFLICT (topic, status, shard) DO UPDATE SET n = c.n + excluded.n;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION {schema}.count_status_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO {schema}.topic_counts AS c (topic, status, shard, n)
    VALUES (OLD.topic, OLD.status, pg_backend_pid() % 16, -1),
           (NEW.topic, NEW.status, pg_backend_pid() % 16, 1)
    ON CONFLICT (topic, status, shard) DO UPDATE SET n = c.n + excluded.n;
    RETURN NULL;
END $$;

CREATE OR REPLACE TRIGGER count_inserted AFTER INSERT ON {schema}.tasks
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION {schema}.count_inserted();
CREATE OR REPLACE TRIGGER count_deleted AFTER DELETE ON {schema}.tasks
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION {schema}.count_deleted();
CREATE OR REPLACE TRIGGER count_status_change AFTER UPDATE OF status ON {schema}.tasks
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status)
    EXECUTE FUNCTION {schema}.count_status_change();

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
