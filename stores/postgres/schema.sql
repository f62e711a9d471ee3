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
