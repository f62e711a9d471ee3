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
