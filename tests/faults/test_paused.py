"""A server that stops answering (SIGSTOP) and comes back (SIGCONT).

A stopped process keeps its sockets: connections are accepted by the kernel and
requests are acknowledged, but nothing ever answers. Every store call must then
give up on its own, with ``StoreUnavailable``, within about the store's
``timeout``; the console must show it and stay responsive; and after SIGCONT
everything works again. Only private servers are paused."""

from __future__ import annotations

import threading
import time

import pytest

import stores
from sokka_tui.clock import system_clock
from sokka_tui.widgets.status_bar import OutageBanner
from stores.bulk import BulkItem
from stores.errors import StoreUnavailable
from tests.private_servers import PrivatePostgres, PrivateRedis
from tests.tui.conftest import SIZE, settle

TIMEOUT_S = 1
#: What "within about the timeout" means here: connecting to PostgreSQL takes
#: libpq's connect_timeout, which is whole seconds and at least 2.
BOUND_S = 2.5


def _server(kind: str, tmp_path):
    return PrivatePostgres(tmp_path) if kind == "postgres" else PrivateRedis(tmp_path)


@pytest.fixture(params=["postgres", "redis"])
def paused_server(request, tmp_path):
    server = _server(request.param, tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.remove()  # resumes it first if a test left it paused


WRITES = ("extend_lease", "terminate", "fail", "snooze", "revoke_lease", "apply_bulk")


def _prepare(store, topic: str, group: str) -> dict:
    """A task held by ``w1`` for each write, and one more to reserve."""
    store.create_tasks([{"topic": topic, "task_group_id": group} for _ in range(len(WRITES) + 1)])
    return {name: store.reserve_task(topic, "w1") for name in WRITES}


def _calls(store, url: str, topic: str, group: str, held: dict) -> dict:
    """One call of every public store method, each write on a task of its own."""
    return {
        "now_ms": lambda: store.now_ms(),
        "task": lambda: store.task(held["terminate"].task_id),
        "tasks": lambda: store.tasks(group),
        "list_tasks": lambda: store.list_tasks({"topic": topic}, {"limit": 10}),
        "list_leased_tasks": lambda: store.list_leased_tasks(topic, {"limit": 10}),
        "topics": lambda: store.topics(),
        "create_task": lambda: store.create_task({"topic": "elsewhere"}),
        "create_tasks": lambda: store.create_tasks([{"topic": "elsewhere"}, {"topic": "elsewhere"}]),
        "reserve_task": lambda: store.reserve_task(topic, "w2"),
        "extend_lease": lambda: store.extend_lease(held["extend_lease"].task_id, "w1"),
        "terminate": lambda: store.terminate(held["terminate"].task_id, "w1"),
        "fail": lambda: store.fail(held["fail"].task_id, "w1", "boom"),
        "snooze": lambda: store.snooze(held["snooze"].task_id, "w1", 60_000),
        "revoke_lease": lambda: store.revoke_lease(held["revoke_lease"].task_id, held["revoke_lease"].record_ver),
        "apply_bulk": lambda: store.apply_bulk(
            "revoke", [BulkItem(held["apply_bulk"].task_id, held["apply_bulk"].record_ver, "w1")]
        ),
        "open_store": lambda: stores.open_store(url, namespace="paused", timeout=TIMEOUT_S).close(),
    }


def _timed(calls: dict) -> dict:
    """Run every call at once, each in its own thread; ``name -> (seconds, result or error)``."""
    results = {}

    def run(name, fn):
        started = time.monotonic()
        try:
            outcome = fn()
        except Exception as exc:
            outcome = exc
        results[name] = (time.monotonic() - started, outcome)

    threads = [threading.Thread(target=run, args=item, daemon=True) for item in calls.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


def test_every_call_gives_up_in_time_and_works_after(paused_server):
    url = paused_server.url
    store = stores.open_store(url, namespace="paused", timeout=TIMEOUT_S, lease_time_ms=60_000)
    try:
        held = _prepare(store, "before", "g1")
        store.now_ms()  # a pooled connection is idle, so the deadline of a round trip is hit too

        paused_server.pause()
        results = _timed(_calls(store, url, "before", "g1", held))
        paused_server.resume()

        assert len(results) == 16
        slow = {name: round(s, 2) for name, (s, _) in results.items() if s > BOUND_S}
        assert slow == {}
        wrong = {name: repr(out) for name, (_, out) in results.items() if not isinstance(out, StoreUnavailable)}
        assert wrong == {}
        print({name: round(s, 2) for name, (s, _) in sorted(results.items(), key=lambda kv: kv[1][0])})

        # After SIGCONT every call works again (on fresh tasks: a write sent while
        # the server was stopped may have run when it woke up).
        held = _prepare(store, "after", "g2")
        results = {}
        for name, call in _calls(store, url, "after", "g2", held).items():
            started = time.monotonic()
            results[name] = call()
            assert time.monotonic() - started < BOUND_S, name
        assert results["reserve_task"].pid == "w2"
        assert results["terminate"].status == "terminated"
        assert results["fail"].status == "failed"
        assert results["snooze"].status == "snoozed"
        assert results["revoke_lease"].status == "starting"
        assert [r.outcome for r in results["apply_bulk"]] == ["done"]
        assert len(results["tasks"]) == len(WRITES) + 1
    finally:
        store.close()


def test_a_paused_postgres_times_out_one_round_trip(tmp_path):
    """The deadline itself: a statement sent on a live connection gets no answer."""
    server = PrivatePostgres(tmp_path).start()
    try:
        store = stores.open_store(server.url, timeout=TIMEOUT_S)
        store.now_ms()  # one idle connection in the pool
        server.pause()
        started = time.monotonic()
        with pytest.raises(StoreUnavailable, match="did not answer within"):
            store.now_ms()
        elapsed = time.monotonic() - started
        server.resume()
        assert TIMEOUT_S <= elapsed < TIMEOUT_S + 1
        assert store.now_ms() > 0  # the dead connection was dropped, not reused
        store.close()
    finally:
        server.remove()


async def test_console_while_paused(paused_server, make_app):
    store = stores.open_store(paused_server.url, timeout=TIMEOUT_S)
    store.create_task({"topic": "mail"})
    app = make_app(store, clock=system_clock)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            banner = app.screen.query_one(OutageBanner)
            assert not banner.display
            paused_server.pause()
            started = time.monotonic()
            await pilot.press("R")
            await pilot.press("l")  # answered at once, while the load hangs
            await pilot.pause()
            assert not app.show_leased and time.monotonic() - started < 0.5
            await settle(pilot)
            assert time.monotonic() - started < BOUND_S + 0.5
            assert banner.display and "STORE UNAVAILABLE" in str(banner.content)
            await pilot.press("l")
            await pilot.pause()
            assert app.show_leased
            paused_server.resume()
            await pilot.press("R")
            await settle(pilot)
            assert not banner.display and app.outage is None
    finally:
        paused_server.resume()
        store.close()


def test_a_paused_postgres_times_out_a_hot_statement(tmp_path):
    """The hot statements (reserve, the single writes, extend) are one blocking
    libpq call each, cut by ``stores.postgres.watchdog`` when the server does not
    answer: the same error, in the same time, and the connection is not reused."""
    server = PrivatePostgres(tmp_path).start()
    try:
        store = stores.open_store(server.url, timeout=TIMEOUT_S, lease_time_ms=60_000)
        store.create_tasks([{"topic": "t"} for _ in range(3)])
        store.terminate(store.reserve_task("t", "w").task_id, "w")  # both prepared on the kept connection
        first = store.reserve_task("t", "w")
        (kept,) = store._lane.kept()
        assert kept.prepared == {b"sokka_reserve_task", b"sokka_write_task"}
        server.pause()
        started = time.monotonic()
        with pytest.raises(StoreUnavailable, match="did not answer within"):
            store.terminate(first.task_id, "w")
        elapsed = time.monotonic() - started
        server.resume()
        assert TIMEOUT_S <= elapsed < TIMEOUT_S + 1
        assert kept.closed and store._lane.kept() == []
        # The terminate may have run when the server woke; the next reserve takes another task.
        second = store.reserve_task("t", "w")
        assert second is not None and second.task_id != first.task_id
        assert store.terminate(second.task_id, "w").status == "terminated"
        store.close()
    finally:
        server.remove()
