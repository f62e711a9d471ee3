"""A server that is down (its port refuses connections) fails store calls at once.

Before, a PostgreSQL store call waited out the pool's whole timeout (5 s by
default) for a connection the pool could not make; Redis failed at once
already. A server that accepts connections but does not answer (paused) is
still waited for, up to the timeout: tests/faults/test_paused.py."""

from __future__ import annotations

import time

import pytest

import stores
from stores import StoreUnavailable
from tests.private_servers import PrivatePostgres, PrivateRedis
from tests.waiting import wait_for

#: "At once": well under the store's timeout (5 s).
FAST_S = 1.0


@pytest.fixture(params=["postgres", "redis"])
def server(request, tmp_path):
    server = PrivatePostgres(tmp_path) if request.param == "postgres" else PrivateRedis(tmp_path, persistent=True)
    server.start()
    try:
        yield server
    finally:
        server.remove()


def _works(store) -> bool:
    try:
        store.topics()
    except StoreUnavailable:
        return False
    return True


def test_calls_to_a_stopped_server_fail_at_once(server):
    store = stores.open_store(server.url, timeout=5, lease_time_ms=60_000)
    try:
        task = store.create_task({"topic": "work"})
        store.topics()  # a pooled connection, idle, which the shutdown closes
        server.stop()
        calls = {
            "topics": store.topics,
            "task": lambda: store.task(task.task_id),
            "now_ms": store.now_ms,
            "reserve_task": lambda: store.reserve_task("work", "w1"),
            "create_task": lambda: store.create_task({"topic": "work"}),
        }
        timings = {}
        for round_ in (1, 2):  # the first finds the closed connection; later ones, an empty pool
            for name, call in calls.items():
                started = time.monotonic()
                with pytest.raises(StoreUnavailable) as caught:
                    call()
                timings[f"{name}#{round_}"] = round(time.monotonic() - started, 3)
                assert "\n" not in str(caught.value)
        print(type(store).__name__, timings)
        assert max(timings.values()) < FAST_S, timings
        server.start()
        assert wait_for(lambda: _works(store), timeout=15), "the store did not come back with its server"
        assert store.task(task.task_id) == task
    finally:
        store.close()
