"""What a worker says about a write whose outcome it could not see.

A worker records its handler's outcome with a write; when the store does not
answer, it retries while the lease surely lasts, then settles: once the store
answers again it reads the task back (and, still holding it, sends the write
once more: owner-checked, applied once at most) and logs what became of it.
Before, it logged "it will be reserved again" when it gave up, though a stalled
PostgreSQL ran the write when it woke: the log said lost, the task was done.
Each test checks the log lines against the task's real end state."""

from __future__ import annotations

import logging
import threading
import time

import psycopg
import pytest
from psycopg import sql

import stores
from stores.worker import Worker, ok
from tests.private_servers import PrivatePostgres
from tests.waiting import wait_for

LEASE_MS = 3_000


@pytest.fixture
def server(tmp_path):
    server = PrivatePostgres(tmp_path).start()
    try:
        yield server
    finally:
        server.remove()


def _worker_lines(caplog) -> list[tuple[str, str]]:
    return [(r.levelname, r.getMessage()) for r in caplog.records if r.name == "stores.worker"]


def _run_one(store, started, release):
    def handler(task):
        started.set()
        release.wait(30)
        return ok()

    return Worker(store, "work", handler, max_poll_interval_ms=50, identity_check_interval_s=3600)


def test_terminate_applied_while_its_reply_was_lost(server, caplog):
    """SIGSTOP the server as the handler ends: the terminate reaches it and waits
    there, the worker's tries time out until the lease surely ended, then SIGCONT:
    the server applies it, and the worker says so."""
    store = stores.open_store(server.url, timeout=1, lease_time_ms=LEASE_MS)
    started, release = threading.Event(), threading.Event()
    caplog.set_level(logging.INFO, logger="stores.worker")
    worker = _run_one(store, started, release)
    try:
        task = store.create_task({"topic": "work"})
        worker.start()
        assert started.wait(10)
        assert wait_for(lambda: store.task(task.task_id).status == "running", 5)
        server.pause()
        try:
            release.set()  # the terminate goes out on an idle pooled connection, then waits
            # Past the end of the lease by the worker's clock: it has given up retrying.
            assert wait_for(lambda: any("retrying" in m for _, m in _worker_lines(caplog)), 10)
            time.sleep(LEASE_MS / 1000 + 0.5)
        finally:
            server.resume()
        assert wait_for(lambda: any("applied" in m for _, m in _worker_lines(caplog)), 20), _worker_lines(caplog)
        worker.stop(timeout=20)
        final = store.task(task.task_id)
        lines = _worker_lines(caplog)
        assert final.status == "terminated", (final, lines)
        said = [(level, m) for level, m in lines if "retrying" not in m]
        assert said in (
            [("INFO", f"terminate of {task.task_id!r} was applied after all (its reply was lost)")],
            # The try sent before the pause never reached the server (no idle
            # connection then): sent once more, applied once.
            [("INFO", f"terminate of {task.task_id!r} was applied on a later try, once the store answered again")],
        ), lines
        assert not [m for _, m in lines if "reserved again" in m]
        print(lines)
    finally:
        release.set()
        worker.stop(timeout=20)
        store.close()


def _lock_waiters(url: str) -> int:
    with psycopg.connect(url, autocommit=True, connect_timeout=5) as conn:
        row = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'").fetchone()
        return int(row[0]) if row else 0


def test_terminate_that_never_got_through(server, caplog):
    """The task's row is locked by another session the whole time: every try of
    the terminate times out on the lock (the server cancels it: not applied).
    The worker says it was not applied, and the task is indeed still running."""
    store = stores.open_store(server.url, timeout=1, lease_time_ms=LEASE_MS)
    started, release = threading.Event(), threading.Event()
    caplog.set_level(logging.INFO, logger="stores.worker")
    worker = _run_one(store, started, release)
    try:
        task = store.create_task({"topic": "work"})
        worker.start()
        assert started.wait(10)
        assert wait_for(lambda: store.task(task.task_id).status == "running", 5)
        with psycopg.connect(server.url, connect_timeout=5) as locker:
            locker.execute(
                sql.SQL("SELECT 1 FROM {}.tasks WHERE task_id = %s FOR UPDATE").format(sql.Identifier("sokka")),
                (task.task_id,),
            )
            release.set()
            assert wait_for(lambda: any("not applied" in m or "could not be sent again" in m
                                        for _, m in _worker_lines(caplog)), LEASE_MS / 1000 + 15), \
                _worker_lines(caplog)
            # A try the client gave up on (its deadline, a little longer than the
            # server's lock timeout, can fire first on a loaded machine) may still
            # wait on the lock in the server, and would run once the lock is
            # released: cancel those first, so that "never applied" is what happened.
            locker.execute("SELECT pg_cancel_backend(pid) FROM pg_stat_activity "
                           "WHERE wait_event_type = 'Lock' AND pid <> pg_backend_pid()")
            assert wait_for(lambda: not _lock_waiters(server.url), 10)
            locker.rollback()
        worker.stop(timeout=20)
        final = store.task(task.task_id)
        lines = _worker_lines(caplog)
        assert (final.status, final.pid) == ("running", worker.pid), (final, lines)  # never terminated
        said = [(level, m) for level, m in lines if "retrying" not in m]
        assert len(said) == 1 and said[0][0] == "WARNING", lines
        assert said[0][1].startswith(f"terminate of {task.task_id!r} could not be sent again"), lines
        assert said[0][1].endswith("if no try was applied, the lease will expire and it will be reserved again")
        assert not [m for _, m in lines if "applied after all" in m or "later try" in m]
        print(lines)
    finally:
        release.set()
        worker.stop(timeout=20)
        store.close()
