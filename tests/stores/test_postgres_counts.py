"""PostgreSQL: the per-topic counts that topics() reads are kept by the writing
statements themselves (schema version 3). Under concurrent reservers, writers
and bulk writes racing for the same tasks, they must still equal what a full
count of the tasks table says."""

from __future__ import annotations

import threading

import psycopg
import pytest
from psycopg import sql

import stores
from stores import TaskStoreError
from stores.bulk import BulkItem
from stores.options import StoreOptions
from stores.postgres.store import PostgresStore
from tests.servers import PG_URL, drop_namespace, new_namespace

pytestmark = pytest.mark.postgres  # the shared server of tests/servers.py

TOPICS = ("a", "b")


@pytest.fixture
def namespace():
    name = new_namespace("counts")
    yield name
    drop_namespace("postgres", name)


def _true_counts(namespace: str) -> dict:
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        rows = conn.execute(sql.SQL("SELECT topic, status, count(*) FROM {}.tasks GROUP BY 1, 2").format(
            sql.Identifier(namespace))).fetchall()
    return {(topic, status): n for topic, status, n in rows}


def _stored_counts(store) -> dict:
    return {(s.topic, str(status)): n for s in store.topics() for status, n in s.counts.items() if n}


def _worker(namespace: str, n: int, errors: list) -> None:
    # A 1 ms lease: reservations also take over other workers' expired leases
    # (running -> running, which changes no count), and writes race for them.
    with stores.open_store(PG_URL, namespace=namespace, lease_time_ms=1) as store:
        for i in range(60):
            task = store.reserve_task(TOPICS[i % 2], f"w{n}")
            if task is None:
                continue
            try:
                if i % 5 == 0:
                    store.fail(task.task_id, f"w{n}", "boom")
                elif i % 5 == 1:
                    store.snooze(task.task_id, f"w{n}", 600_000)
                elif i % 5 == 2:
                    store.revoke_lease(task.task_id, task.record_ver)
                else:
                    store.terminate(task.task_id, f"w{n}")
            except TaskStoreError as exc:  # lost the task to another worker: fine
                if exc.code not in ("wrong-owner", "task-concurrently-updated", "invalid-status-transition"):
                    errors.append(exc)
            except Exception as exc:  # reported below, in the test thread
                errors.append(exc)


def test_counts_stay_exact_under_concurrent_writes(namespace):
    with stores.open_store(PG_URL, namespace=namespace) as store:
        created = store.create_tasks({"topic": TOPICS[i % 2], "data": i} for i in range(400))
        errors: list = []
        threads = [threading.Thread(target=_worker, args=(namespace, n, errors)) for n in range(4)]
        for thread in threads:
            thread.start()
        # Bulk writes racing the workers on the same tasks, at the versions of creation.
        for start in range(0, 200, 50):
            store.apply_bulk("terminate", [BulkItem(t.task_id, t.record_ver, None) for t in created[start:start + 50]])
        for thread in threads:
            thread.join(120)
        assert not errors, errors
        truth = _true_counts(namespace)
        assert sum(truth.values()) == 400
        assert len({status for _, status in truth}) >= 4  # the race really moved tasks around
        assert _stored_counts(store) == truth


def _claimed_shard(conn) -> str | None:
    return conn.execute("SELECT current_setting('sokka.count_shard', true)").fetchone()[0]


def test_each_writable_session_claims_a_shard_of_its_own(namespace):
    """Workers writing at once each count into their own shard row (an advisory
    lock per shard), not one picked by pid that two of them may share; a
    read-only store claims none, and the shards stay correct as a whole."""
    writer = stores.open_store(PG_URL, namespace=namespace)
    other = stores.open_store(PG_URL, namespace=namespace)
    reader = stores.open_store(PG_URL, namespace=namespace, read_only=True)
    held = []
    try:
        for store in (writer, writer, writer, other, other):
            conn = store._pool.getconn()
            held.append((store, conn))
        shards = [_claimed_shard(conn) for _, conn in held]
        assert len(set(shards)) == len(shards) and all(0 <= int(s) < 16 for s in shards), shards
        conn = reader._pool.getconn()
        held.append((reader, conn))
        assert _claimed_shard(conn) in (None, "")
    finally:
        for store, conn in held:
            store._pool.putconn(conn)
        for store in (writer, other, reader):
            store.close()


def test_sessions_beyond_sixteen_count_by_pid(namespace):
    """Once all 16 shards are held, a session counts into its pid's shard, and
    the counts are still right."""
    store = PostgresStore.open(PG_URL, StoreOptions.parse({"namespace": namespace}), max_connections=20)
    held = []
    try:
        held = [store._pool.getconn() for _ in range(17)]
        shards = [_claimed_shard(conn) for conn in held]
        assert sorted(int(s) for s in shards if s) == list(range(16))
        assert shards[-1] == ""
        store.create_tasks([{"topic": "a"} for _ in range(3)])
        for conn in held:
            store._pool.putconn(conn)
        held = []
        for _ in range(3):
            task = store.reserve_task("a", "w")
            store.terminate(task.task_id, "w")
        assert _stored_counts(store) == {(k[0], k[1]): n for k, n in _true_counts(namespace).items()}
    finally:
        for conn in held:
            store._pool.putconn(conn)
        store.close()
