"""A worker killed (SIGKILL) while it holds a lease.

Nothing tells the store: the task stays ``running``, owned by a dead process,
until its lease ends by the store's clock. Only then may it be reserved again
(not a moment before), and it is then finished exactly once. The killed process
disrupts no server, so the shared servers serve (a namespace of this test)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from tests.faults.workers import ROOT, read_lines
from tests.waiting import wait_for

LEASE_MS = 1_500

_WORKER = f"""
import json, sys, threading, time
import stores
from stores.worker import Worker
url, namespace, out = sys.argv[1:]
store = stores.open_store(url, namespace=namespace, lease_time_ms={LEASE_MS})
def handler(task):
    with open(out, "a") as f:
        f.write(json.dumps({{"event": "run", "task_id": task.task_id, "pid": task.pid}}) + "\\n")
    threading.Event().wait()  # works for ever, its worker keeping the lease
Worker(store, "work", handler, max_poll_interval_ms=50).start()
threading.Event().wait()
"""


def test_lease_of_a_killed_worker_ends_by_the_store_clock(make_store, store_url, tmp_path):
    store = make_store(lease_time_ms=LEASE_MS)
    task = store.create_task({"topic": "work"})
    out = tmp_path / "run.jsonl"
    proc = subprocess.Popen([sys.executable, "-c", _WORKER, store_url, store.namespace, str(out)], cwd=ROOT)
    try:
        assert wait_for(lambda: read_lines(out), timeout=30), "the worker never ran the task"
        # Let one keepalive pass, so the lease we wait out is an extended one.
        time.sleep(LEASE_MS * 0.8 / 1000)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    [run] = read_lines(out)
    held = store.task(task.task_id)
    assert held.status == "running" and held.pid == run["pid"]
    assert held.record_ver >= 3, "the worker should have extended the lease once"
    expires = held.lease_expires_at

    refused_at = []  # store times at which a reservation found nothing
    while True:
        before = store.now_ms()
        again = store.reserve_task("work", "second")
        if again is not None:
            break
        refused_at.append(before)
        assert before < expires + 2_000, "the task was not reservable after its lease ended"
        time.sleep(0.05)
    # Refused while the lease lasted; taken only once it had ended, by the store's clock.
    assert refused_at and min(refused_at) < expires - 500
    assert again.task_id == task.task_id
    assert again.updated_at >= expires
    assert (again.pid, again.record_ver) == ("second", held.record_ver + 1)
    assert again.lease_expires_at == again.updated_at + LEASE_MS

    done = store.terminate(task.task_id, "second")
    assert (done.status, done.pid, done.record_ver) == ("terminated", None, held.record_ver + 2)
    assert store.reserve_task("work", "third") is None
    assert store.task(task.task_id) == done  # finished once, and nothing moved since


_BATCHED_WORKER = _WORKER.replace("max_poll_interval_ms=50", "max_poll_interval_ms=50, concurrency=2, prefetch=3")


def test_a_killed_batched_worker_leaves_expired_leases(make_store, store_url, tmp_path):
    """A batched worker (2 handlers, 3 more prefetched) killed: its whole batch
    stays running under its name until the leases end by the store's clock, then
    shows as expired leases (the console's count) and is reserved again."""
    store = make_store(lease_time_ms=LEASE_MS)
    tasks = store.create_tasks([{"task_id": f"t{i}", "topic": "work"} for i in range(6)])
    out = tmp_path / "run.jsonl"
    proc = subprocess.Popen([sys.executable, "-c", _BATCHED_WORKER, store_url, store.namespace, str(out)], cwd=ROOT)
    try:
        assert wait_for(lambda: len(read_lines(out)) == 2, timeout=30), "the worker never ran two tasks"
        time.sleep(LEASE_MS * 0.8 / 1000)  # one renewal of the whole batch
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    held = [store.task(t.task_id) for t in tasks]
    assert sum(t.status == "running" for t in held) == 5  # 2 running + 3 prefetched, one pid
    assert len({t.pid for t in held if t.status == "running"}) == 1
    assert all(t.record_ver >= 3 for t in held if t.status == "running"), "renewed once, as a batch"
    (stats,) = store.topics()
    assert stats.expired_leases == 0
    last = max(t.lease_expires_at for t in held if t.lease_expires_at)
    assert wait_for(lambda: store.now_ms() > last, timeout=10)
    (stats,) = store.topics()
    assert (stats.expired_leases, stats.counts["running"], stats.counts["starting"]) == (5, 5, 1)
    again = store.reserve_tasks("work", "second", 10)
    assert sorted(t.task_id for t in again) == [t.task_id for t in tasks]
