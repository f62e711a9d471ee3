"""The SQLite store's schema: every read is an index search, and a namespace of an
older schema version is upgraded in place by a writable open."""

from __future__ import annotations

import re
import sqlite3

import pytest

import stores
from stores.sqlite.store import SCHEMA_VERSION

NS = "plans"


def _open(path, **options):
    return stores.open_store(f"sqlite://{path}", namespace=NS, **options)


def _plans(store, calls) -> dict[str, list[str]]:
    """Each statement the calls ran (bound values expanded), with its query plan."""
    statements: list[str] = []
    store._conn.set_trace_callback(statements.append)
    try:
        calls(store)
    finally:
        store._conn.set_trace_callback(None)
    plans = {}
    for sql in statements:
        if sql.split(None, 1)[0].upper() in ("BEGIN", "COMMIT", "ROLLBACK", "PRAGMA"):
            continue
        plans[sql] = [row[3] for row in store._conn.execute("EXPLAIN QUERY PLAN " + sql)]
    return plans


READS = {
    "topic": lambda s: s.list_tasks({"topic": "t1"}, {"limit": 10}),
    "topic, page 2": lambda s: s.list_tasks({"topic": "t1"}, s.list_tasks({"topic": "t1"}, {"limit": 10}).cursor),
    "topic and status": lambda s: s.list_tasks({"topic": "t1", "status": "terminated"}, {"limit": 10}),
    "topic, sub-topic and status": lambda s: s.list_tasks(
        {"topic": "t1", "sub_topic": "s1", "status": "starting"}, {"limit": 10}),
    "topic, time bounds": lambda s: s.list_tasks({"topic": "t1", "from_ms": 1, "to_ms": 2**40}, {"limit": 10}),
    "all topics": lambda s: s.list_tasks({}, {"limit": 10}),
    "status": lambda s: s.list_tasks({"status": "failed"}, {"limit": 10}),
    "leased, all topics": lambda s: s.list_leased_tasks(None, {"limit": 10}),
    "leased, one topic": lambda s: s.list_leased_tasks("t1", {"limit": 10}),
    "topics": lambda s: s.topics(),
    "task": lambda s: s.task("t1-7"),
    "group": lambda s: s.tasks("t1-7"),
    "reserve": lambda s: s.reserve_task("t2", "w"),
}


@pytest.fixture
def seeded(tmp_path):
    store = _open(tmp_path / "plans.db", lease_time_ms=60_000)
    store.create_tasks([{"task_id": f"t{i % 3}-{i}", "topic": f"t{i % 3}", "sub_topic": f"s{i % 2}", "data": {}}
                        for i in range(600)])
    for _ in range(30):
        store.terminate(store.reserve_task("t1", "w").task_id, "w")
    yield store
    store.close()


@pytest.mark.parametrize("read", READS)
def test_every_read_searches_an_index(seeded, read):
    plans = _plans(seeded, READS[read])
    assert plans, "the call ran no statement"
    for sql, plan in plans.items():
        for line in plan:
            # A table SCAN of tasks (not of a subquery's few rows) reads every task.
            assert not re.match(rf"SCAN {NS}_tasks\b(?! USING)", line), f"{read}: {line}\n{sql}\n{plan}"
            assert not re.match(rf"SCAN {NS}_tasks USING (COVERING )?INDEX", line), f"{read}: {line}\n{sql}"
        if read in ("topic and status", "topic, sub-topic and status", "status", "leased, all topics",
                    "leased, one topic"):
            assert not any("TEMP B-TREE" in line for line in plan), f"{read} sorts: {plan}"


def test_listing_without_a_status_merges_every_status(seeded):
    """The merged listing (no status filter) pages through every task exactly once, newest first."""
    seen = list(stores.scroll(lambda cursor: seeded.list_tasks({"topic": "t1"}, cursor), {"limit": 7}))
    assert len(seen) == 200 and len({t.task_id for t in seen}) == 200
    keys = [(t.updated_at, t.task_id) for t in seen]
    assert keys == sorted(keys, reverse=True)
    assert sum(t.status == stores.TaskStatus.TERMINATED for t in seen) == 30
    everything = list(stores.scroll(lambda cursor: seeded.list_tasks({}, cursor), {"limit": 50}))
    assert len({t.task_id for t in everything}) == 600


def _indexes(path) -> set[str]:
    conn = sqlite3.connect(path)
    try:
        return {name for (name,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL",
            (f"{NS}_tasks",))}
    finally:
        conn.close()


def _make_version_3(path) -> None:
    """What schema version 3 left: four listing indexes, version '3'."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.executescript(f"""
        DROP INDEX {NS}_tasks_status_updated;
        CREATE INDEX {NS}_tasks_updated ON {NS}_tasks (updated_at, task_id);
        CREATE INDEX {NS}_tasks_topic_updated ON {NS}_tasks (topic, updated_at, task_id);
        CREATE INDEX {NS}_tasks_topic_sub_status_updated
            ON {NS}_tasks (topic, sub_topic, status, updated_at, task_id);
        DROP TABLE {NS}_pauses;
        DROP TABLE {NS}_rates;
        UPDATE {NS}_meta SET value = '3' WHERE key = 'schema_version';
    """)
    conn.close()


def test_a_version_3_namespace_is_upgraded_by_a_writable_open(tmp_path):
    path = tmp_path / "old.db"
    with _open(path) as store:
        created = store.create_tasks([{"topic": "t", "data": {"n": i}} for i in range(50)])
    _make_version_3(path)
    old = _indexes(path)
    assert {f"{NS}_tasks_updated", f"{NS}_tasks_topic_sub_status_updated"} <= old

    with _open(path, read_only=True) as reader:  # an old namespace still reads
        assert len(list(stores.scroll(lambda c: reader.list_tasks({"topic": "t"}, c), {"limit": 20}))) == 50
        assert reader.paused_topics() == []  # no pauses table yet: never paused

    with _open(path) as store:
        assert store.task(created[0].task_id) == created[0]
        assert store.reserve_task("t", "w") is not None
        store.pause_topic("t", reason="after the upgrade")  # the pauses table came with it
        assert store.reserve_task("t", "w") is None
    now = _indexes(path)
    assert f"{NS}_tasks_status_updated" in now
    assert not now & {f"{NS}_tasks_updated", f"{NS}_tasks_topic_updated", f"{NS}_tasks_topic_sub_status_updated"}
    conn = sqlite3.connect(path)
    assert conn.execute(f"SELECT value FROM {NS}_meta WHERE key = 'schema_version'").fetchone() == (
        str(SCHEMA_VERSION),)
    conn.close()


_V6_COUNT_UPDATE = """
    CREATE TRIGGER {ns}_count_update AFTER UPDATE OF status ON {ns}_tasks
    WHEN OLD.status <> NEW.status BEGIN
        UPDATE {ns}_topic_counts SET n = n - 1 WHERE topic = OLD.topic AND status = OLD.status;
        INSERT INTO {ns}_topic_counts (topic, status, n) VALUES (NEW.topic, NEW.status, 1)
        ON CONFLICT (topic, status) DO UPDATE SET n = n + 1;
    END;
"""
_V6_RATE_CHANGE = """
    CREATE TRIGGER {ns}_rate_change AFTER UPDATE OF status ON {ns}_tasks
    WHEN NEW.status IN ('terminated', 'failed', 'snoozed') AND OLD.status <> NEW.status BEGIN
        INSERT INTO {ns}_rates (topic, width_ms, bucket_start, terminated, failed, snoozed)
        VALUES (NEW.topic, 60000, NEW.updated_at - NEW.updated_at % 60000,
                NEW.status = 'terminated', NEW.status = 'failed', NEW.status = 'snoozed')
        ON CONFLICT (topic, width_ms, bucket_start) DO UPDATE SET
            terminated = terminated + excluded.terminated, failed = failed + excluded.failed,
            snoozed = snoozed + excluded.snoozed;
    END;
"""


def _back_to_version_6(path) -> None:
    """What schema version 6 left: no current minute in topic_counts, a trigger
    that upserts a rates row on every status change, version '6'."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.executescript(f"""
        DROP TRIGGER {NS}_rate_roll;
        DROP TRIGGER {NS}_count_update;
        ALTER TABLE {NS}_topic_counts DROP COLUMN minute;
        ALTER TABLE {NS}_topic_counts DROP COLUMN in_minute;
        {_V6_COUNT_UPDATE.format(ns=NS)}
        {_V6_RATE_CHANGE.format(ns=NS)}
        UPDATE {NS}_meta SET value = '6' WHERE key = 'schema_version';
    """)
    conn.close()


def _totals(rates):
    return (sum(b.created for b in rates.buckets), sum(b.terminated for b in rates.buckets))


def test_a_version_5_namespace_gets_the_rates_table(tmp_path):
    """Version 5 -> 7: the rates table and the current minute's columns are
    added; a read-only open of version 5 reads zeros (nothing was counted)."""
    path = tmp_path / "v5.db"
    with _open(path) as store:
        store.create_tasks([{"task_id": f"j{i}", "topic": "t"} for i in range(3)])
    _back_to_version_6(path)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.executescript(f"""
        DROP TABLE {NS}_rates;
        DROP TRIGGER {NS}_rate_change;
        UPDATE {NS}_meta SET value = '5' WHERE key = 'schema_version';
    """)
    conn.close()
    with _open(path, read_only=True) as reader:
        assert reader.rates() == []
        assert _totals(reader.rates("t")[0]) == (0, 0)
    with _open(path) as store:
        store.terminate(store.reserve_task("t", "w").task_id, "w")
        assert _totals(store.rates("t")[0]) == (0, 1)
    conn = sqlite3.connect(path)
    assert conn.execute(f"SELECT value FROM {NS}_meta WHERE key = 'schema_version'").fetchone() == (
        str(SCHEMA_VERSION),)
    conn.close()


def test_a_version_6_namespace_moves_its_current_minute_without_counting_twice(tmp_path):
    """Version 6 -> 7: a read-only open reads version 6's rates table; a
    writable open adds topic_counts' minute columns and drops the per-write
    rates trigger, so a write from then on is counted once, and what version 6
    counted stays."""
    path = tmp_path / "v6.db"
    with _open(path) as store:
        store.create_tasks([{"task_id": f"j{i}", "topic": "t"} for i in range(3)])
    _back_to_version_6(path)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute(f"DELETE FROM {NS}_rates")
    conn.execute(f"INSERT INTO {NS}_rates (topic, width_ms, bucket_start, created) "
                 f"SELECT topic, 60000, created_at - created_at % 60000, count(*) FROM {NS}_tasks GROUP BY 1, 3")
    conn.close()
    with _open(path, read_only=True) as reader:
        assert _totals(reader.rates("t")[0]) == (3, 0)
    with _open(path) as store:
        store.terminate(store.reserve_task("t", "w").task_id, "w")
        store.create_task({"task_id": "new", "topic": "t"})
        assert _totals(store.rates("t")[0]) == (4, 1)
    conn = sqlite3.connect(path)
    triggers = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
    assert f"{NS}_rate_change" not in triggers and f"{NS}_rate_roll" in triggers
    conn.close()


def test_a_newer_schema_is_refused_before_anything_is_changed(tmp_path):
    path = tmp_path / "new.db"
    with _open(path):
        pass
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute(f"UPDATE {NS}_meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION + 1),))
    # An index this version's schema script would drop (it dropped it in version 4).
    conn.execute(f"CREATE INDEX {NS}_tasks_updated ON {NS}_tasks (updated_at, task_id)")
    conn.close()
    with pytest.raises(stores.StoreUnavailable, match="Upgrade sokka-tui"):
        _open(path)
    assert f"{NS}_tasks_updated" in _indexes(path)  # a newer version's schema is left as it is
