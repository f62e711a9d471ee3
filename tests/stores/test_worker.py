"""sokka's worker against every store."""

from __future__ import annotations

import threading
import time

from stores.worker import Worker, failed, ok, snoozed


def wait_until(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


def test_worker_records_each_outcome(store):
    outcomes = {"a": ok(), "b": failed("bad input"), "c": snoozed(60_000), "d": None}
    for name in outcomes:
        store.create_task({"task_id": name, "topic": "work", "data": name})
    store.create_task({"task_id": "e", "topic": "work", "data": "raise"})
    store.create_task({"task_id": "f", "topic": "work", "data": "weird"})

    def handler(task):
        if task.data == "raise":
            raise ValueError("handler exploded")
        if task.data == "weird":
            return "not an outcome"
        return outcomes[task.data]

    with Worker(store, "work", handler, pid="w-test", max_poll_interval_ms=50) as worker:
        assert worker.pid == "w-test"
        assert wait_until(lambda: all(store.task(i).status != "starting" and store.task(i).status != "running"
                                      for i in "abcdef"))
    assert store.task("a").status == "terminated"
    assert (store.task("b").status, store.task("b").error) == ("failed", "bad input")
    c = store.task("c")
    assert c.status == "snoozed" and c.snooze_time == 60_000
    assert store.task("d").status == "terminated"
    assert (store.task("e").status, store.task("e").error) == ("failed", "handler exploded")
    assert store.task("f").status == "failed" and "not an outcome" in store.task("f").error


def test_worker_keeps_the_lease_of_a_long_task(make_store):
    # Keepalives every 0.7 x 1 s: 300 ms of slack for a keepalive thread on a loaded machine.
    store = make_store(lease_time_ms=1_000)
    store.create_task({"task_id": "long", "topic": "work"})
    release = threading.Event()
    with Worker(store, "work", lambda task: ok() if release.wait(10) else None, max_poll_interval_ms=50):
        assert wait_until(lambda: store.task("long").status == "running")
        time.sleep(2.2)  # over two leases long: keepalives at 0.7 x lease kept it
        held = store.task("long")
        assert held.status == "running" and held.lease_expires_at > store.now_ms()
        assert held.record_ver >= 4  # reserve + at least two extensions
        assert store.reserve_task("work", "thief") is None
        release.set()
        assert wait_until(lambda: store.task("long").status == "terminated")


def test_worker_that_lost_its_lease_writes_nothing(make_store):
    # A keepalive every 0.7 s: none lands between reading the task and revoking it.
    store = make_store(lease_time_ms=1_000)
    store.create_task({"task_id": "slow", "topic": "work"})
    release = threading.Event()
    worker = Worker(store, "work", lambda task: ok() if release.wait(5) else None, max_poll_interval_ms=50)
    worker.start()
    try:
        assert wait_until(lambda: store.task("slow").status == "running")
        held = store.task("slow")
        store.revoke_lease("slow", held.record_ver)  # an operator takes it away
        worker.stop(wait=False)  # reserve nothing more once this task is let go
        stolen = store.reserve_task("work", "other")
        assert stolen.task_id == "slow"
        time.sleep(0.8)  # the worker's next keepalive (0.7 s after it reserved) gets WrongOwner
        release.set()
    finally:
        worker.stop()
    after = store.task("slow")
    assert after.status == "running" and after.pid == "other" and after.record_ver == stolen.record_ver


def test_worker_backs_off_and_stops_promptly(store):
    worker = Worker(store, "empty", lambda task: ok(), max_poll_interval_ms=200).start()
    time.sleep(0.5)
    started = time.monotonic()
    worker.stop()
    assert time.monotonic() - started < 1.0 and not worker.running
    assert Worker(store, "x", lambda task: ok()).pid != Worker(store, "x", lambda task: ok()).pid
