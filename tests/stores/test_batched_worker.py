"""``Worker(..., concurrency=N, prefetch=M)`` against every store: up to N
handlers at once, tasks reserved, renewed and acknowledged in batches; a task
is acknowledged only once its handler returned; a lost lease writes nothing;
stopping releases what never started."""

from __future__ import annotations

import logging
import threading
import time

import pytest

from stores import InvalidArgument, TaskStatus, scroll
from stores.audit import Operator
from stores.worker import Worker, failed, ok, snoozed
from tests.stores.test_worker import wait_until

ALICE = Operator("alice", "ops-box", "sokka")


def _fill(store, n, topic="work"):
    return store.create_tasks([{"task_id": f"t{i:03d}", "topic": topic, "data": i} for i in range(n)])


def _statuses(store, n):
    return [store.task(f"t{i:03d}").status for i in range(n)]


def test_handlers_run_concurrently_up_to_the_limit(store):
    _fill(store, 12)
    lock = threading.Lock()
    now, most, seen = [0], [0], []
    gate = threading.Event()

    def handler(task):
        with lock:
            now[0] += 1
            most[0] = max(most[0], now[0])
            seen.append(task.task_id)
        gate.wait(10)
        time.sleep(0.02)
        with lock:
            now[0] -= 1

    with Worker(store, "work", handler, concurrency=4, prefetch=2, max_poll_interval_ms=50):
        assert wait_until(lambda: len(seen) == 4)
        time.sleep(0.2)
        assert (most[0], len(seen)) == (4, 4)  # no more than 4 at once
        running = [t for t in store.list_tasks({"topic": "work", "status": "running"}, {"limit": 50}).data]
        assert len(running) == 6  # 4 running, 2 prefetched: each its own lease
        assert _statuses(store, 12).count(TaskStatus.TERMINATED) == 0  # nothing acknowledged early
        gate.set()
        assert wait_until(lambda: _statuses(store, 12).count(TaskStatus.TERMINATED) == 12)
    assert sorted(seen) == [f"t{i:03d}" for i in range(12)]  # each exactly once


def test_every_outcome_is_recorded(store):
    _fill(store, 30)

    def handler(task):
        n = task.data
        if n % 5 == 1:
            return failed(f"bad {n}")
        if n % 5 == 2:
            return snoozed(600_000)
        if n % 5 == 3:
            raise ValueError(f"exploded {n}")
        return None if n % 2 else ok()

    with Worker(store, "work", handler, concurrency=3, prefetch=5, max_poll_interval_ms=50):
        assert wait_until(lambda: all(s in ("terminated", "failed", "snoozed") for s in _statuses(store, 30)))
    for i in range(30):
        task = store.task(f"t{i:03d}")
        want = {0: "terminated", 1: "failed", 2: "snoozed", 3: "failed", 4: "terminated"}[i % 5]
        assert task.status == want, task
        if i % 5 == 1:
            assert task.error == f"bad {i}"
        if i % 5 == 3:
            assert task.error == f"exploded {i}"
    counts = {s.topic: s.counts for s in store.topics()}["work"]
    assert (counts["terminated"], counts["failed"], counts["snoozed"], counts["running"]) == (12, 12, 6, 0)
    (rates,) = store.rates("work")  # counted into the rates as single writes are
    assert [sum(getattr(b, kind) for b in rates.buckets) for kind in ("created", "terminated", "failed", "snoozed")
            ] == [30, 12, 12, 6]


def test_acknowledgements_are_batched(make_store):
    store = make_store(lease_time_ms=60_000, operator=ALICE)
    _fill(store, 40)
    calls = {"terminate_many": [], "terminate": 0}
    real_many, real_one = store.terminate_many, store.terminate

    def terminate_many(items, pid):
        calls["terminate_many"].append(len(list(items)))
        return real_many(items, pid)

    def terminate(*args, **kwargs):
        calls["terminate"] += 1
        return real_one(*args, **kwargs)

    store.terminate_many, store.terminate = terminate_many, terminate
    with Worker(store, "work", lambda task: time.sleep(0.005), concurrency=4, prefetch=8, max_poll_interval_ms=50):
        assert wait_until(lambda: _statuses(store, 40).count(TaskStatus.TERMINATED) == 40)
    assert calls["terminate"] == 0 and sum(calls["terminate_many"]) == 40
    assert len(calls["terminate_many"]) < 40 and max(calls["terminate_many"]) > 1
    # Audited as single writes: one terminate record per task.
    trail = list(scroll(lambda c: store.audit_log(None, c), {"limit": 500}))
    assert sum(e.action == "terminate" for e in trail) == 40


def test_one_call_renews_every_held_lease(make_store):
    # Keepalives every 0.7 x 1.5 s; the handlers outlive two leases.
    store = make_store(lease_time_ms=1_500)
    _fill(store, 5)
    extends = []
    real = store.extend_leases

    def extend_leases(pid, task_ids):
        extends.append(sorted(task_ids))
        return real(pid, task_ids)

    store.extend_leases = extend_leases
    release = threading.Event()
    with Worker(store, "work", lambda task: release.wait(20) and None, concurrency=3, prefetch=2,
                max_poll_interval_ms=50):
        assert wait_until(lambda: _statuses(store, 5).count(TaskStatus.RUNNING) == 5)
        time.sleep(3.4)
        for i in range(5):
            held = store.task(f"t{i:03d}")
            assert held.status == "running" and held.lease_expires_at > store.now_ms() and held.record_ver >= 4
        assert store.reserve_task("work", "thief") is None
        assert len(extends) >= 2 and all(ids == [f"t{i:03d}" for i in range(5)] for ids in extends)
        release.set()
        assert wait_until(lambda: _statuses(store, 5).count(TaskStatus.TERMINATED) == 5)


def test_a_lost_lease_is_left_alone(make_store):
    store = make_store(lease_time_ms=1_000)
    _fill(store, 2)
    release = threading.Event()
    started = []
    worker = Worker(store, "work", lambda task: started.append(task.task_id) or (release.wait(10) and None),
                    concurrency=1, prefetch=2, max_poll_interval_ms=50)
    worker.start()
    try:
        assert wait_until(lambda: len(started) == 1 and _statuses(store, 2).count("running") == 2)
        running, waiting = started[0], ({"t000", "t001"} - set(started)).pop()
        for task_id in (running, waiting):  # an operator takes both away; another worker takes them
            store.revoke_lease(task_id, store.task(task_id).record_ver)
        other = make_store(namespace=store.namespace, lease_time_ms=60_000)
        stolen = {other.reserve_task("work", "other").task_id for _ in range(2)}
        assert stolen == {running, waiting}
        time.sleep(1.0)  # the next renewal (0.7 s) is refused: wrong owner
        release.set()
        time.sleep(0.3)
        assert started == [running]  # the waiting one was never started
        for task_id in (running, waiting):
            task = store.task(task_id)
            assert (task.status, task.pid) == ("running", "other")  # nothing written for either
    finally:
        release.set()
        worker.stop()


def test_stopping_finishes_running_handlers_and_releases_the_rest(store, caplog):
    _fill(store, 10)
    gate, started = threading.Event(), []
    caplog.set_level(logging.INFO, logger="stores.worker")

    def handler(task):
        started.append(task.task_id)
        gate.wait(10)

    worker = Worker(store, "work", handler, concurrency=2, prefetch=4, max_poll_interval_ms=50).start()
    assert wait_until(lambda: len(started) == 2 and _statuses(store, 10).count("running") == 6)
    stopper = threading.Thread(target=worker.stop)
    stopper.start()
    time.sleep(0.2)
    assert stopper.is_alive()  # waits for the running handlers
    gate.set()
    stopper.join(10)
    assert not worker.running
    statuses = _statuses(store, 10)
    assert statuses.count("terminated") == 2 and statuses.count("starting") == 8  # 4 released at once
    assert not [s for s in store.topics() if s.expired_leases]
    assert "Released 4 reserved task(s) of 'work' that had not started" in caplog.text


def test_defaults_keep_the_single_loop(store):
    assert Worker(store, "work", lambda task: None)._batched is None
    assert Worker(store, "work", lambda task: None, prefetch=1)._batched is None
    assert Worker(store, "work", lambda task: None, concurrency=2)._batched is not None


@pytest.mark.parametrize("options", [
    {"concurrency": 0}, {"concurrency": True}, {"prefetch": -1}, {"prefetch": 1.5},
    {"concurrency": 600, "prefetch": 600},
])
def test_bad_settings_are_one_clear_error(options):
    with pytest.raises(InvalidArgument):
        Worker(object(), "work", lambda task: None, **options)
