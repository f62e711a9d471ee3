"""PostgreSQL schema upgrades: a namespace made by an older sokka-tui is upgraded
in place by a writable open (version 2 -> 3: fewer indexes, one counter row
per topic and shard, status changes counted by the writing statements instead
of a row trigger) and keeps its data and counts; a read-only open of it is one
clear error until then."""

from __future__ import annotations

import psycopg
import pytest
from psycopg import sql

import stores
from stores import StoreUnavailable, TaskStatus
from stores.postgres.store import SCHEMA_VERSION
from tests.servers import PG_URL, drop_namespace, new_namespace

pytestmark = pytest.mark.postgres  # the shared server of tests/servers.py

#: stores/postgres/schema.sql as sokka-tui shipped it at schema version 2.
V2_SCHEMA = r"""-- The PostgreSQL schema of one namespace. {schema} is the namespace, quoted by
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
"""


def _make_v2(namespace: str) -> None:
    """A version 2 namespace with 8 tasks of topic "mail" (3 in group "g",
    one of them running), made with plain SQL as that version's store would."""
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        with conn.transaction():
            conn.execute(sql.SQL(V2_SCHEMA).format(schema=sql.Identifier(namespace)))
            conn.execute(sql.SQL("INSERT INTO {}.meta VALUES ('schema_version', '2')").format(
                sql.Identifier(namespace)))
        conn.execute(sql.SQL(
            "INSERT INTO {}.tasks (task_id, task_group_id, topic, sub_topic, status, record_ver, data, "
            "created_at, updated_at) "
            "SELECT 'job-' || i, CASE WHEN i < 3 THEN 'g' ELSE 'job-' || i END, 'mail', 'default', "
            "'starting', 1, '{{}}', 1000 + i, 1000 + i FROM generate_series(0, 7) i").format(
                sql.Identifier(namespace)))
        conn.execute(sql.SQL(
            "UPDATE {}.tasks SET status = 'running', pid = 'w0', lease_expires_at = 9e12::bigint, "
            "record_ver = 2, updated_at = 2000 WHERE task_id = 'job-1'").format(sql.Identifier(namespace)))


def _catalog(namespace: str) -> tuple[str, set[str], set[str]]:
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        row = conn.execute(sql.SQL("SELECT value FROM {}.meta WHERE key = 'schema_version'").format(
            sql.Identifier(namespace))).fetchone()
        assert row is not None
        version = row[0]
        indexes = {row[0] for row in conn.execute(
            "SELECT indexname FROM pg_indexes WHERE schemaname = %s AND tablename = 'tasks'", (namespace,))}
        triggers = {row[0] for row in conn.execute(
            "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgrelid = %s::regclass",
            (f'"{namespace}".tasks',))}
    return version, indexes, triggers


def _tables(namespace: str) -> set[str]:
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        return {row[0] for row in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = %s", (namespace,))}


@pytest.fixture
def v2_namespace():
    namespace = new_namespace("upgrade")
    _make_v2(namespace)
    yield namespace
    drop_namespace("postgres", namespace)


def _counts(store) -> dict:
    return {str(k): v for k, v in next(s.counts for s in store.topics() if s.topic == "mail").items() if v}


def test_writable_open_upgrades_version_2_in_place(v2_namespace):
    version, indexes, triggers = _catalog(v2_namespace)
    assert version == "2" and "tasks_topic_updated" in indexes and "count_status_change" in triggers
    with stores.open_store(PG_URL, namespace=v2_namespace, lease_time_ms=60_000) as store:
        version, indexes, triggers = _catalog(v2_namespace)
        tables = _tables(v2_namespace)
        assert version == str(SCHEMA_VERSION) == "5"
        assert "tasks_topic_updated" not in indexes and "tasks_group" not in indexes
        assert "tasks_shared_group" in indexes
        assert "count_status_change" not in triggers
        # topic_counts carried over, dropped
        assert tables == {"meta", "tasks", "topic_stats", "audit", "pauses", "rates"}
        assert {"count_inserted", "count_deleted", "record_audit_update"} <= triggers
        with psycopg.connect(PG_URL, autocommit=True) as conn:  # every shard row, for plain UPDATEs
            row = conn.execute(sql.SQL("SELECT count(*) FROM {}.topic_stats WHERE topic = 'mail'").format(
                sql.Identifier(v2_namespace))).fetchone()
            assert row is not None
            shards = row[0]
        assert shards == 16
        # The data and the counts of version 2 carry over.
        assert _counts(store) == {"starting": 7, "running": 1}
        assert [t.task_id for t in store.tasks("g")] == ["job-0", "job-1", "job-2"]
        assert [t.task_id for t in store.tasks("job-5")] == ["job-5"]
        assert store.tasks("job-1") == []  # in group "g", not a group of its own
        # Writes keep the counts now that the row trigger is gone.
        task = store.reserve_task("mail", "w1")
        assert task is not None and task.task_id == "job-0"
        store.terminate(task.task_id, "w1")
        store.fail("job-1", "w0", "boom")
        assert _counts(store) == {"starting": 6, "terminated": 1, "failed": 1}
        listed = stores.scroll(lambda c: store.list_tasks({"topic": "mail"}, c), {"limit": 3})
        assert [t.task_id for t in listed][:2] == ["job-1", "job-0"]
    # Opening again is a no-op.
    with stores.open_store(PG_URL, namespace=v2_namespace):
        assert _catalog(v2_namespace)[0] == "5"


def test_read_only_open_of_version_2_is_one_clear_error(v2_namespace):
    with pytest.raises(StoreUnavailable, match=r"schema version 2, older .* without read_only to upgrade"):
        stores.open_store(PG_URL, namespace=v2_namespace, read_only=True)
    assert _catalog(v2_namespace)[0] == "2"  # nothing migrated
    with stores.open_store(PG_URL, namespace=v2_namespace):  # a writable open upgrades it
        pass
    with stores.open_store(PG_URL, namespace=v2_namespace, read_only=True) as store:
        assert _counts(store) == {"starting": 7, "running": 1}
        assert [t.task_id for t in store.tasks("g")] == ["job-0", "job-1", "job-2"]
        job = store.task("job-1")
        assert job is not None and job.status == TaskStatus.RUNNING


def test_version_3_gets_the_pauses_table_and_keeps_working():
    """Version 3 -> 4: only the pauses table is added; a read-only open of a
    version 3 namespace is refused (its reservations would not know pauses)."""
    namespace = new_namespace("upgrade")
    try:
        with stores.open_store(PG_URL, namespace=namespace, lease_time_ms=60_000) as store:
            store.create_tasks([{"task_id": f"j{i}", "topic": "mail"} for i in range(3)])
        with psycopg.connect(PG_URL, autocommit=True) as conn:  # back to what version 3 left
            ident = sql.Identifier(namespace)
            conn.execute(sql.SQL("DROP TABLE {}.pauses").format(ident))
            conn.execute(sql.SQL("DROP TABLE {}.rates").format(ident))
            conn.execute(sql.SQL("UPDATE {}.meta SET value = '3' WHERE key = 'schema_version'").format(ident))
        with pytest.raises(StoreUnavailable, match=r"schema version 3, older .* without read_only to upgrade"):
            stores.open_store(PG_URL, namespace=namespace, read_only=True)
        with stores.open_store(PG_URL, namespace=namespace, lease_time_ms=60_000) as store:
            assert _catalog(namespace)[0] == "5" and {"pauses", "rates"} <= _tables(namespace)
            assert store.reserve_task("mail", "w").task_id == "j0"
            store.pause_topic("mail", reason="after the upgrade")
            assert store.reserve_task("mail", "w") is None
        with stores.open_store(PG_URL, namespace=namespace, read_only=True) as reader:
            assert [p.topic for p in reader.paused_topics()] == ["mail"]
    finally:
        drop_namespace("postgres", namespace)


def test_version_4_gets_the_rates_table_and_counts_from_then_on():
    """Version 4 -> 5: only the rates table (its expiry trigger, and the
    count_inserted function that now counts creates too) is added; a read-only
    open of version 4 is refused (this version's queries need the table)."""
    namespace = new_namespace("upgrade")
    try:
        with stores.open_store(PG_URL, namespace=namespace, lease_time_ms=60_000) as store:
            store.create_tasks([{"task_id": f"j{i}", "topic": "mail"} for i in range(3)])
        with psycopg.connect(PG_URL, autocommit=True) as conn:  # back to what version 4 left
            ident = sql.Identifier(namespace)
            conn.execute(sql.SQL("DROP TABLE {}.rates CASCADE").format(ident))
            conn.execute(sql.SQL("DROP FUNCTION {}.roll_rates()").format(ident))
            conn.execute(sql.SQL("UPDATE {}.meta SET value = '4' WHERE key = 'schema_version'").format(ident))
        with pytest.raises(StoreUnavailable, match=r"schema version 4, older .* without read_only to upgrade"):
            stores.open_store(PG_URL, namespace=namespace, read_only=True)
        with stores.open_store(PG_URL, namespace=namespace, lease_time_ms=60_000) as store:
            assert _catalog(namespace)[0] == "5" and "rates" in _tables(namespace)
            store.terminate(store.reserve_task("mail", "w").task_id, "w")
            store.create_task({"task_id": "new", "topic": "mail"})
        with stores.open_store(PG_URL, namespace=namespace, read_only=True) as reader:
            (mail,) = reader.rates("mail")
            assert (sum(b.created for b in mail.buckets), sum(b.terminated for b in mail.buckets)) == (1, 1)
    finally:
        drop_namespace("postgres", namespace)
