"""An action cut off half way leaves its task fully changed or untouched.

Two ways a connection goes mid-action:

- it is killed while the write waits (PostgreSQL: another session holds the
  row lock, then the store's backend is terminated): the call raises
  ``StoreUnavailable`` and nothing was written, not even to the other tasks
  of the same bulk statement;
- the write reaches the server but its reply never comes back (a paused
  server: the client gives up, the server runs the queued write when it
  wakes): the call raises ``StoreUnavailable``, and the task is then either
  untouched or wholly changed (status, version + 1, owner and lease together,
  and the topic counts and lease index agree), never partly.
"""

from __future__ import annotations

import threading

import psycopg
import pytest
from psycopg import sql

import stores
from stores.bulk import BulkItem
from stores.errors import StoreUnavailable
from tests.private_servers import PrivatePostgres, PrivateRedis
from tests.servers import PG_URL, drop_namespace, new_namespace
from tests.waiting import wait_for

LEASE_MS = 60_000


def _in_thread(fn):
    """Start ``fn`` in a thread; ``join()`` returns what it raised (or returned)."""
    box = {}

    def run():
        try:
            box["out"] = fn()
        except Exception as exc:
            box["out"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()

    def join(timeout=30):
        thread.join(timeout)
        assert not thread.is_alive(), "the store call never returned"
        return box["out"]

    return join


@pytest.fixture
def pg_namespace():
    namespace = new_namespace("f")
    yield namespace
    drop_namespace("postgres", namespace)


def _backend_waiting_on_lock(admin, namespace: str) -> int | None:
    row = admin.execute(
        "SELECT pid FROM pg_stat_activity WHERE application_name = 'sokka-tui' "
        "AND wait_event_type = 'Lock' AND position(%s in query) > 0",
        (namespace,),
    ).fetchone()
    return row[0] if row else None


@pytest.mark.postgres
@pytest.mark.parametrize("action", ["terminate", "bulk"])
def test_postgres_connection_killed_while_the_write_waits(pg_namespace, action):
    store = stores.open_store(PG_URL, namespace=pg_namespace, timeout=10, lease_time_ms=LEASE_MS)
    try:
        store.create_tasks([{"topic": "work"} for _ in range(3)])
        held = [store.reserve_task("work", "w1") for _ in range(3)]
        before = {t.task_id: store.task(t.task_id) for t in held}
        target = held[-1]  # the bulk statement reaches it last, after writing the others
        with psycopg.connect(PG_URL, autocommit=True, connect_timeout=5) as admin, \
                psycopg.connect(PG_URL, connect_timeout=5) as locker:
            locker.execute(
                sql.SQL("SELECT 1 FROM {}.tasks WHERE task_id = %s FOR UPDATE").format(sql.Identifier(pg_namespace)),
                (target.task_id,),
            )
            if action == "terminate":
                join = _in_thread(lambda: store.terminate(target.task_id, "w1"))
            else:
                items = [BulkItem(t.task_id, t.record_ver, "w1") for t in held]
                join = _in_thread(lambda: store.apply_bulk("terminate", items))
            pids = []
            assert wait_for(lambda: pids.append(_backend_waiting_on_lock(admin, pg_namespace)) or pids[-1], 10)
            admin.execute("SELECT pg_terminate_backend(%s)", (pids[-1],))
            outcome = join()
            locker.rollback()
        assert isinstance(outcome, StoreUnavailable), outcome
        assert {t.task_id: store.task(t.task_id) for t in held} == before  # untouched, every one
        # The store recovers: the same write now goes through, once.
        done = store.terminate(target.task_id, "w1")
        assert (done.status, done.record_ver) == ("terminated", target.record_ver + 1)
    finally:
        store.close()


def _check_whole(store, before, read, *, topic: str) -> str:
    """One look: the task (``read()``) is ``before`` untouched, or ``before``
    wholly changed by the write; say which. The topic counts and the lease index
    must agree with it. The look is three reads, not one snapshot: a write the
    server runs between them (the queued one, soon after it wakes) makes the task
    differ before and after the index reads, and the look is taken again."""
    for _ in range(10):
        after = read()
        counts = {s.topic: s.counts for s in store.topics()}.get(topic)
        leased = [t.task_id for t in store.list_leased_tasks(topic, {"limit": 10}).data]
        if read() == after:
            break
    else:
        raise AssertionError("the task kept changing during every look")
    if after is None or after == before:
        state = "untouched"
        expected = before
    else:
        state = "changed"
        expected = after
        assert after.record_ver == (before.record_ver + 1 if before else 1), (before, after)
        assert after.updated_at >= (before.updated_at if before else 0)
        if before is not None:
            fixed = ("task_id", "task_group_id", "topic", "sub_topic", "data", "created_at", "timeout_ms")
            assert [getattr(after, f) for f in fixed] == [getattr(before, f) for f in fixed]
        if after.status == "running":
            assert after.pid and after.lease_expires_at == after.updated_at + LEASE_MS
        else:
            assert after.pid is None and after.lease_expires_at is None
    if expected is None:
        assert counts is None or not any(counts.values())
    else:
        assert counts[expected.status] == 1 and sum(counts.values()) == 1, counts
        assert leased == ([expected.task_id] if expected.status == "running" else [])
    return state


def _write_while_paused(server, store, write, read, *, topic: str) -> tuple[str, str]:
    """Send ``write`` to the paused ``server``; after SIGCONT, watch the task
    settle (every look must be whole). Returns (first look, last look)."""
    before = read()
    server.pause()
    try:
        with pytest.raises(StoreUnavailable):
            write()
    finally:
        server.resume()
    first = _check_whole(store, before, read, topic=topic)
    states = [first]
    # The server runs what was queued soon after it wakes; look until it has.
    wait_for(lambda: states.append(_check_whole(store, before, read, topic=topic)) or states[-1] == "changed", 2)
    assert states == sorted(states, reverse=True), states  # never changed, then untouched again
    return first, states[-1]


def _server(kind, tmp_path):
    return (PrivatePostgres(tmp_path) if kind == "postgres" else PrivateRedis(tmp_path)).start()


@pytest.mark.parametrize("kind", ["postgres", "redis"])
def test_reply_lost_reserve(kind, tmp_path):
    server = _server(kind, tmp_path)
    store = stores.open_store(server.url, timeout=1, lease_time_ms=LEASE_MS)
    try:
        task = store.create_task({"topic": "work"})
        # Warm up: an idle pooled connection, and (Redis) the script loaded, so
        # the write itself is what is sent first (an EVALSHA of a script not yet
        # loaded would come back NOSCRIPT when the server woke: nothing written).
        assert store.reserve_task("warm", "w0") is None
        first, last = _write_while_paused(
            server, store, lambda: store.reserve_task("work", "w1"), lambda: store.task(task.task_id), topic="work"
        )
        print(kind, "reserve:", first, "->", last)
        # The one reservation was applied when the server woke (it was queued in full).
        assert last == "changed"
        assert store.reserve_task("work", "w2") is None  # held once, by w1 alone
        assert store.task(task.task_id).pid == "w1"
    finally:
        store.close()
        server.remove()


def test_reply_lost_terminate_postgres(tmp_path):
    server = _server("postgres", tmp_path)
    store = stores.open_store(server.url, timeout=1, lease_time_ms=LEASE_MS)
    try:
        store.create_task({"topic": "work"})
        held = store.reserve_task("work", "w1")
        store.now_ms()
        first, last = _write_while_paused(
            server, store, lambda: store.terminate(held.task_id, "w1"), lambda: store.task(held.task_id),
            topic="work",
        )
        print("postgres terminate:", first, "->", last)
        assert last == "changed"
        # Said again, it is refused: the first, lost-reply attempt did it.
        with pytest.raises(stores.TaskStoreError):
            store.terminate(held.task_id, "w1")
    finally:
        store.close()
        server.remove()

