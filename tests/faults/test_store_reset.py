"""A store wiped under a running worker (a Redis restarted without persistence,
or flushed): its tasks are gone, and an empty topic must not pass for a quiet
one. The worker compares the store's identity with the one it started with
and logs one ERROR per reset; a task it held that is now not found is not
reported as "applied after all" or "most likely went through"."""

from __future__ import annotations

import logging
import threading

import pytest
import redis

import stores
from stores.worker import Worker, ok
from tests.private_servers import PrivateRedis
from tests.waiting import wait_for

GONE = "The store was reset: its namespace marker is gone; tasks held by this worker are lost"
OTHER = "The store was reset: it has another identity; tasks held by this worker are lost"


def _messages(caplog, level=None) -> list[str]:
    return [r.getMessage() for r in caplog.records
            if r.name == "stores.worker" and (level is None or r.levelno == level)]


@pytest.fixture
def server(tmp_path):
    with PrivateRedis(tmp_path) as server:  # keeps nothing on disk
        yield server


def test_a_worker_holding_a_task_when_redis_restarts_empty(server, caplog):
    store = stores.open_store(server.url, timeout=1, lease_time_ms=1_000)
    started, release = threading.Event(), threading.Event()

    def handler(task):
        started.set()
        release.wait(20)
        return ok()

    try:
        first = store.identity()
        assert first is not None
        task = store.create_task({"topic": "work"})
        caplog.set_level(logging.INFO, logger="stores.worker")
        worker = Worker(store, "work", handler, max_poll_interval_ms=50).start()
        try:
            assert started.wait(10)
            server.restart()  # no persistence: it comes back empty
            # The next keepalive (0.7 s) finds the task gone, and the identity with it.
            assert wait_for(lambda: GONE in _messages(caplog, logging.ERROR), timeout=10), _messages(caplog)
            release.set()
        finally:
            release.set()
            worker.stop(timeout=10)
        assert _messages(caplog, logging.ERROR) == [GONE]
        assert not [m for m in _messages(caplog) if "most likely" in m or "after all" in m or "later try" in m]
        assert store.identity() is None and store.task(task.task_id) is None
        with stores.open_store(server.url, timeout=1) as reopened:  # a writable open makes it anew
            fresh = reopened.identity()
        assert fresh is not None and fresh.store_id != first.store_id
        assert store.identity() == fresh
    finally:
        release.set()
        store.close()


def test_an_idle_worker_notices_each_reset_once(server, caplog):
    store = stores.open_store(server.url, timeout=1)
    admin = redis.Redis.from_url(server.url)
    caplog.set_level(logging.INFO, logger="stores.worker")
    worker = Worker(store, "work", lambda task: ok(), max_poll_interval_ms=50, identity_check_interval_s=0.1)
    try:
        worker.start()
        assert wait_for(lambda: worker._identity is not None, timeout=5)
        admin.flushall()  # a private server: a stand-in for a restart without persistence
        assert wait_for(lambda: _messages(caplog, logging.ERROR) == [GONE], timeout=5), _messages(caplog)
        # Made anew by a writable open: no second report (the reset was told).
        stores.open_store(server.url, timeout=1).close()
        assert wait_for(lambda: worker._identity == store.identity(), timeout=5)
        assert _messages(caplog, logging.ERROR) == [GONE]
        # Replaced by another store's identity: a reset again.
        admin.delete("sokka:identity")
        admin.set("sokka:identity", "0123456789abcdef:1")
        assert wait_for(lambda: _messages(caplog, logging.ERROR) == [GONE, OTHER], timeout=5), _messages(caplog)
    finally:
        worker.stop(timeout=10)
        admin.close()
        store.close()
