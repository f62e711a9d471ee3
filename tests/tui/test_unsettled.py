"""An action whose answer is lost (the connection breaks mid-action): the console
says the outcome is unknown, then, once the store answers, whether it was
applied, from the task's version and the audit trail."""

from __future__ import annotations

import asyncio
import time
from urllib.parse import urlsplit

import psycopg
import pytest
from psycopg import sql

import stores
from sokka_tui.clock import system_clock
from sokka_tui.screens.confirm import ConfirmModal
from sokka_tui.screens.task_detail import TaskDetailScreen
from stores.audit import Operator
from tests.blackhole import Blackhole
from tests.servers import PG_URL, REDIS_URL
from tests.tui.conftest import SIZE, settle
from tests.waiting import until

OPS = Operator("ops", "console-host", "sokka-tui")


def notices(app) -> list[tuple[str, str]]:
    return [(n.title, n.message) for n in app._notifications]


async def wait_for_notice(pilot, title: str, seconds: float) -> str:
    """The message of the first notification titled ``title``, once one shows."""

    def titled() -> list[str]:
        return [message for shown_title, message in notices(pilot.app) if shown_title == title]

    try:
        found = await until(pilot, titled, timeout=seconds, interval=0.1)
    except AssertionError:
        raise AssertionError(f"no {title!r} notification within {seconds} s; got {notices(pilot.app)}") from None
    return found[0]


async def confirm_terminate(pilot, task_id: str) -> None:
    pilot.app.push_screen(TaskDetailScreen(task_id))
    await settle(pilot)
    await pilot.press("t")
    await pilot.pause()
    assert isinstance(pilot.app.screen, ConfirmModal)
    await pilot.press("y")


@pytest.mark.parametrize("backend", ["postgres"])
async def test_connection_killed_mid_action_is_reported_not_applied(make_store, make_app):
    """The store's UPDATE waits on a row lock held elsewhere; its backend is then
    terminated. The task is untouched, and the console says so."""
    store = make_store(operator=OPS, timeout=3)
    store.create_task({"task_id": "job-1", "topic": "mail"})
    table = sql.Identifier(store.namespace, "tasks")
    app = make_app(store, clock=system_clock)
    with psycopg.connect(PG_URL) as holder:
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            holder.execute(sql.SQL("SELECT 1 FROM {} WHERE task_id = 'job-1' FOR UPDATE").format(table))
            await confirm_terminate(pilot, "job-1")
            killed = await asyncio.to_thread(_terminate_waiting_backend, store.namespace)
            assert killed == 1
            holder.rollback()  # the lock goes; nothing may write the task any more
            unknown = await wait_for_notice(pilot, "Outcome unknown", 5)
            assert "job-1" in unknown
            verdict = await wait_for_notice(pilot, "Action was not applied", 15)
            assert "was NOT applied: the task is unchanged (now starting, v1)" in verdict
    task = store.task("job-1")
    assert (task.status, task.record_ver) == ("starting", 1)
    assert [e.action for e in store.audit_log("job-1").data] == ["create"]


def _terminate_waiting_backend(namespace: str) -> int:
    """Terminate the backend whose UPDATE of ``namespace`` waits for a lock."""
    with psycopg.connect(PG_URL, autocommit=True) as admin:
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            rows = admin.execute(
                "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE %s",
                (f"%UPDATE%{namespace}%",),
            ).fetchall()
            if rows:
                return sum(admin.execute("SELECT pg_terminate_backend(%s)", row).fetchone()[0] for row in rows)
            time.sleep(0.05)
    return 0


@pytest.mark.parametrize("backend", ["redis"])
async def test_answer_lost_but_applied_is_reported_applied(make_store, make_app):
    """The write reaches the server and runs, but its answer is lost on the way
    back (a proxy drops it); the client times out. The console finds the record
    of the write in the audit trail and says it was applied."""
    namespace = make_store().namespace  # the fixture drops it afterwards
    proxy = Blackhole(urlsplit(REDIS_URL).port or 6379, trigger=b"EVALSHA")
    store = stores.open_store(f"redis://127.0.0.1:{proxy.port}/0", operator=OPS, timeout=1, namespace=namespace)
    try:
        store.create_task({"task_id": "job-1", "topic": "mail"})
        app = make_app(store, clock=system_clock)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            app.push_screen(TaskDetailScreen("job-1"))
            await settle(pilot)
            await pilot.press("t")
            await pilot.pause()
            proxy.arm()
            await pilot.press("y")
            await wait_for_notice(pilot, "Outcome unknown", 6)
            assert proxy.swallowed.is_set()
            verdict = await wait_for_notice(pilot, "Action was applied", 15)
            assert "Terminate job-1 (sent at v1) WAS APPLIED before the connection broke" in verdict
            assert "now terminated, v2" in verdict
        record = store.audit_log("job-1").data[0]
        assert (record.action, record.record_ver_before, record.user) == ("terminate", 1, "ops")
    finally:
        store.close()
        proxy.close()
