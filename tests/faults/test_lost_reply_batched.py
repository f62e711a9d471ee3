"""A batched worker (``concurrency`` > 1) whose batch reply was lost settles it
by reading versions back, as the single loop does for one write: on private
servers only (a paused PostgreSQL; a Redis behind a proxy that drops one
script's reply). Each test checks the log lines against the tasks' real end
state, and that nothing was applied twice (the record version)."""

from __future__ import annotations

import hashlib
import logging
import threading
import time

import pytest

import stores
from stores.redis.scripts import script_texts
from stores.worker import Worker
from tests.blackhole import Blackhole
from tests.private_servers import PrivatePostgres, PrivateRedis
from tests.waiting import wait_for

LEASE_MS = 3_000


def _worker_lines(caplog) -> list[tuple[str, str]]:
    return [(r.levelname, r.getMessage()) for r in caplog.records if r.name == "stores.worker"]


def _sha(script: str) -> bytes:
    return hashlib.sha1(script_texts()[script].encode()).hexdigest().encode()


def _gated_worker(store, gate, started, n):
    def handler(task):
        started.append(task.task_id)
        gate.wait(30)

    return Worker(store, "work", handler, concurrency=n, max_poll_interval_ms=50, identity_check_interval_s=3600)


@pytest.fixture
def pg_server(tmp_path):
    server = PrivatePostgres(tmp_path).start()
    try:
        yield server
    finally:
        server.remove()


@pytest.fixture
def redis_server(tmp_path):
    server = PrivateRedis(tmp_path).start()
    try:
        yield server
    finally:
        server.remove()


def test_a_batch_applied_while_its_reply_was_lost(pg_server, caplog):
    """SIGSTOP the server as the handlers end: the terminate_many reaches it and
    waits, the worker's tries time out until the leases surely ended, then
    SIGCONT: the server applies it, and the worker says so for each task."""
    store = stores.open_store(pg_server.url, timeout=1, lease_time_ms=LEASE_MS)
    gate, started = threading.Event(), []
    caplog.set_level(logging.INFO, logger="stores.worker")
    worker = _gated_worker(store, gate, started, 3)
    try:
        tasks = store.create_tasks([{"task_id": f"t{i}", "topic": "work"} for i in range(3)])
        worker.start()
        assert wait_for(lambda: len(started) == 3, 10)
        pg_server.pause()
        try:
            gate.set()  # one terminate_many goes out on an idle pooled connection, then waits
            assert wait_for(lambda: any("retrying" in m for _, m in _worker_lines(caplog)), 10)
            time.sleep(LEASE_MS / 1000 + 0.5)  # past the leases by the worker's clock
        finally:
            pg_server.resume()
        assert wait_for(lambda: sum("applied" in m for _, m in _worker_lines(caplog)) == 3, 20), \
            _worker_lines(caplog)
        worker.stop(timeout=20)
        lines = _worker_lines(caplog)
        for task in tasks:
            final = store.task(task.task_id)
            assert (final.status, final.record_ver) == ("terminated", 3), (final, lines)  # applied once
        said = sorted(m for _, m in lines if "retrying" not in m)
        # Settled once the leases surely ended (read back), or refused on a retry
        # that the server answered first (at the old version: already applied).
        assert all("was applied after all (its reply was lost" in m
                   or m.endswith("was applied on a later try, once the store answered again") for m in said), lines
        assert len(said) == 3 and not [m for _, m in lines if "reserved again" in m]
    finally:
        gate.set()
        worker.stop(timeout=20)
        store.close()


def test_a_terminate_batch_whose_reply_was_dropped(redis_server, caplog):
    """The proxy drops the reply to terminate_many: applied, but the worker
    times out; its retry is refused (already terminated), and it says the
    batch was applied after all, for each task."""
    proxy = Blackhole(redis_server.port, trigger=_sha("terminate_many"))
    store = stores.open_store(f"redis://127.0.0.1:{proxy.port}/0", timeout=1, lease_time_ms=60_000)
    gate, started = threading.Event(), []
    caplog.set_level(logging.INFO, logger="stores.worker")
    worker = _gated_worker(store, gate, started, 2)
    try:
        tasks = store.create_tasks([{"task_id": f"t{i}", "topic": "work"} for i in range(2)])
        store.terminate_many([("t0", 99)], "w")  # refused, but the script is loaded: the lost reply is its run's
        worker.start()
        assert wait_for(lambda: len(started) == 2, 10)
        proxy.arm()
        gate.set()
        assert wait_for(lambda: sum("applied after all" in m for _, m in _worker_lines(caplog)) == 2, 20), \
            _worker_lines(caplog)
        assert proxy.swallowed.is_set()
        worker.stop(timeout=20)
        lines = _worker_lines(caplog)
        for task in tasks:
            final = store.task(task.task_id)
            assert (final.status, final.record_ver) == ("terminated", 3), (final, lines)
            assert ("INFO", f"terminate of {task.task_id!r} was applied after all (its reply was lost; a retry "
                            "was refused: task-concurrently-updated)") in lines
    finally:
        gate.set()
        worker.stop(timeout=20)
        store.close()
        proxy.close()


def test_a_renewal_whose_reply_was_dropped(redis_server, caplog):
    """The proxy drops the reply to extend_leases: the leases were renewed (a new
    version) without the worker knowing. Its acknowledgement at the old version
    is refused as changed; the refusal shows the task still its own, so it
    acknowledges at the new version: terminated once, nothing lost."""
    proxy = Blackhole(redis_server.port, trigger=_sha("extend_many"))
    store = stores.open_store(f"redis://127.0.0.1:{proxy.port}/0", timeout=1, lease_time_ms=LEASE_MS)
    gate, started = threading.Event(), []
    caplog.set_level(logging.INFO, logger="stores.worker")
    worker = _gated_worker(store, gate, started, 2)
    try:
        tasks = store.create_tasks([{"task_id": f"t{i}", "topic": "work"} for i in range(2)])
        store.extend_leases("w", ["t0"])  # refused, but the script is loaded: the lost reply is its run's
        worker.start()
        assert wait_for(lambda: len(started) == 2, 10)
        proxy.arm()
        assert proxy.swallowed.wait(LEASE_MS / 1000 + 5)  # the first renewal, 0.7 x the lease after reserving
        assert wait_for(lambda: any("Could not extend" in m for _, m in _worker_lines(caplog)), 5)
        assert wait_for(lambda: all(store.task(t.task_id).record_ver >= 3 for t in tasks), 5)  # it was applied
        gate.set()
        assert wait_for(lambda: all(store.task(t.task_id).status == "terminated" for t in tasks), 10), \
            _worker_lines(caplog)
        worker.stop(timeout=20)
        lines = _worker_lines(caplog)
        for task in tasks:
            final = store.task(task.task_id)
            # reserve (2), the lost renewal (3), maybe the retried renewal (4), terminate: once.
            assert final.status == "terminated" and final.record_ver in (4, 5), (final, lines)
        assert not [m for level, m in lines if level == "WARNING" and "extend" not in m], lines
    finally:
        gate.set()
        worker.stop(timeout=20)
        store.close()
        proxy.close()
