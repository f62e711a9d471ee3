"""Retention: ``purge_tasks`` deletes old finished tasks, a bounded batch at a time,
on every backend, and leaves everything else as it was."""

from __future__ import annotations

import time

import psycopg
import pytest
from psycopg import sql

import stores
from stores import InvalidArgument, ReadOnlyStore, TaskStatus
from tests.servers import PG_URL, drop_namespace, new_namespace
from tests.stores.clock import wait_past

OLD_MS = 300
#: The age for the tests where a task must stay younger than it until the purge
#: runs: room for a slow create and purge on a loaded machine.
SAFE_OLD_MS = 1_000


def _finish(store, topic: str, how: str, n: int) -> list[str]:
    """Create ``n`` tasks of ``topic`` and take each to ``how`` (terminated/failed/running/snoozed)."""
    ids = [t.task_id for t in store.create_tasks({"topic": topic, "data": {"i": i}} for i in range(n))]
    for _ in ids:
        if how == "starting":
            break
        task = store.reserve_task(topic, "w")
        if how == "terminated":
            store.terminate(task.task_id, "w")
        elif how == "failed":
            store.fail(task.task_id, "w", "boom")
        elif how == "snoozed":
            store.snooze(task.task_id, "w", 3_600_000)
    return ids


def _counts(store) -> dict[str, dict[str, int]]:
    return {s.topic: {str(k): v for k, v in s.counts.items() if v} for s in store.topics()}


def test_only_old_finished_tasks_go(store):
    terminated = _finish(store, "mail", "terminated", 3)
    failed = _finish(store, "mail", "failed", 2)
    starting = _finish(store, "mail", "starting", 2)
    running = _finish(store, "mail", "running", 2)
    snoozed = _finish(store, "mail", "snoozed", 1)
    newest = max(t.updated_at for t in map(store.task, terminated + failed) if t is not None)
    wait_past(store, newest + SAFE_OLD_MS)
    recent = _finish(store, "mail", "terminated", 1)

    assert store.purge_tasks(SAFE_OLD_MS) == 5
    for task_id in terminated + failed:
        assert store.task(task_id) is None
    kept = {task_id: store.task(task_id) for task_id in starting + running + snoozed + recent}
    assert all(task is not None for task in kept.values())
    assert {str(t.status) for t in kept.values()} == {"starting", "running", "snoozed", "terminated"}
    assert _counts(store) == {"mail": {"starting": 2, "running": 2, "snoozed": 1, "terminated": 1}}
    listed = list(stores.scroll(lambda c: store.list_tasks({"topic": "mail"}, c), {"limit": 3}))
    assert sorted(t.task_id for t in listed) == sorted(kept)
    assert store.purge_tasks(SAFE_OLD_MS) == 0


def test_batches_are_bounded_and_a_short_one_means_done(store):
    _finish(store, "a", "terminated", 3)
    _finish(store, "b", "failed", 2)
    time.sleep(OLD_MS * 2 / 1000)
    assert [store.purge_tasks(OLD_MS, batch_size=2) for _ in range(4)] == [2, 2, 1, 0]
    assert store.topics() == []


def test_status_and_topic_filters(store):
    _finish(store, "a", "terminated", 2)
    _finish(store, "a", "failed", 2)
    _finish(store, "b", "failed", 2)
    time.sleep(OLD_MS * 2 / 1000)
    assert store.purge_tasks(OLD_MS, statuses=["failed"], topic="a") == 2
    assert _counts(store) == {"a": {"terminated": 2}, "b": {"failed": 2}}
    assert store.purge_tasks(OLD_MS, statuses=("terminated",)) == 2
    assert _counts(store) == {"b": {"failed": 2}}


def test_a_purged_id_can_be_created_again(store):
    task = store.create_task({"task_id": "again", "task_group_id": "g", "topic": "t", "data": 1})
    store.reserve_task("t", "w")
    store.terminate(task.task_id, "w")
    store.create_task({"task_id": "sibling", "task_group_id": "g", "topic": "t", "data": 2})
    time.sleep(OLD_MS * 2 / 1000)
    assert store.purge_tasks(OLD_MS) == 1
    assert store.task("again") is None
    assert [t.task_id for t in store.tasks("g")] == ["sibling"]

    again = store.create_task({"task_id": "again", "task_group_id": "g", "topic": "other", "data": {"new": True}})
    assert again.record_ver == 1 and store.task("again").data == {"new": True}
    assert sorted(t.task_id for t in store.tasks("g")) == ["again", "sibling"]
    assert _counts(store) == {"other": {"starting": 1}, "t": {"starting": 1}}


def test_a_store_that_saw_a_purged_task_follows_its_id_elsewhere(make_store):
    """A store may remember where the tasks it saw live (Redis does, to write in
    one round trip); after another store purges one and creates its id again in
    another topic, this store's writes and reads reach the new task."""
    seen = make_store(lease_time_ms=60_000)
    other = make_store(namespace=seen.namespace, lease_time_ms=60_000)
    seen.create_task({"task_id": "moved", "topic": "t"})
    seen.terminate(seen.reserve_task("t", "w").task_id, "w")
    time.sleep(OLD_MS * 2 / 1000)
    assert other.purge_tasks(OLD_MS) == 1
    with pytest.raises(stores.TaskNotFound):
        seen.terminate("moved", "w")
    other.create_task({"task_id": "moved", "topic": "elsewhere", "data": 2})
    running = other.reserve_task("elsewhere", "w2")
    assert seen.extend_lease("moved", "w2") == "ok"
    done = seen.terminate("moved", "w2")
    assert (done.topic, done.status, done.record_ver) == ("elsewhere", TaskStatus.TERMINATED, running.record_ver + 2)
    assert seen.task("moved") == done == other.task("moved")


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"statuses": ["running"]}, "finished"),
        ({"statuses": ["starting", "failed"]}, "finished"),
        ({"statuses": []}, "finished"),
        ({"statuses": "failed"}, "list"),
        ({"statuses": ["nope"]}, "finished"),
        ({"batch_size": 0}, "batch_size"),
        ({"batch_size": 10_001}, "batch_size"),
        ({"topic": ""}, "topic"),
    ],
    ids=repr,
)
def test_bad_arguments_are_refused_before_the_server(store, kwargs, match):
    _finish(store, "t", "running", 1)
    with pytest.raises(InvalidArgument, match=match):
        store.purge_tasks(1, **kwargs)
    with pytest.raises(InvalidArgument):
        store.purge_tasks(0)
    assert _counts(store) == {"t": {"running": 1}}


def test_read_only_store_refuses(make_store):
    writable = make_store()
    _finish(writable, "t", "terminated", 1)
    time.sleep(OLD_MS * 2 / 1000)
    reader = make_store(read_only=True)
    with pytest.raises(ReadOnlyStore):
        reader.purge_tasks(OLD_MS)
    assert _counts(writable) == {"t": {"terminated": 1}}


def test_purge_keeps_a_task_finished_meanwhile(store):
    """Age is judged on ``updated_at``: a task that finished a moment ago stays,
    however old it is."""
    (task_id,) = _finish(store, "t", "running", 1)
    time.sleep(SAFE_OLD_MS * 1.2 / 1000)
    store.terminate(task_id, "w")
    assert store.purge_tasks(SAFE_OLD_MS) == 0
    assert store.task(task_id).status == TaskStatus.TERMINATED


@pytest.fixture(scope="module")
def pg_store():
    namespace = new_namespace("purge_plans")
    store = stores.open_store(PG_URL, namespace=namespace)
    store.create_tasks({"topic": f"t{i % 5}", "data": {"i": i}} for i in range(3_000))
    yield store
    store.close()
    drop_namespace("postgres", namespace)


@pytest.mark.parametrize("name", ["purge_batch", "purge_batch_topic"])
@pytest.mark.postgres
def test_postgres_purge_uses_an_index(pg_store, name):
    params = {"older_than_ms": 1, "statuses": ["terminated", "failed"], "limit": 1000, "topic": "t1"}
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(sql.SQL("ANALYZE {}.tasks").format(sql.Identifier(pg_store.namespace)))
        with conn.transaction():
            conn.execute("SET LOCAL enable_seqscan = off")
            rows = conn.execute(sql.SQL("EXPLAIN ") + pg_store._queries[name], params).fetchall()
    text = "\n".join(row[0] for row in rows)
    assert "Seq Scan on tasks" not in text, text
    assert "Index" in text, text
