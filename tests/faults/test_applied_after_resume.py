"""A revoke sent while a private PostgreSQL is stopped (SIGSTOP): the console
gives up on the answer; the server runs the statement when it resumes. The
console must say it was applied after the connection was lost, never "before
the connection broke" with a time after the resume."""

from __future__ import annotations

import asyncio
import time

import stores
from sokka_tui.clock import system_clock
from sokka_tui.screens.confirm import ConfirmModal
from sokka_tui.screens.task_detail import TaskDetailScreen
from stores.audit import Operator
from tests.tui.conftest import SIZE, settle
from tests.tui.test_unsettled import wait_for_notice
from tests.waiting import until

OPS = Operator("ops", "console-host", "sokka-tui")
TIMEOUT_S = 1
#: How long the server stays stopped after the console gave up.
STOPPED_AFTER_S = 2


async def test_a_revoke_run_on_resume_is_reported_applied_after_the_loss(private_postgres, make_app):
    with stores.open_store(private_postgres.url, lease_time_ms=60_000) as worker:
        worker.create_task({"task_id": "job-1", "topic": "mail"})
        held = worker.reserve_task("mail", "w1")
        assert held is not None and held.record_ver == 2
    store = stores.open_store(private_postgres.url, operator=OPS, timeout=TIMEOUT_S)
    try:
        app = make_app(store, clock=system_clock)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            app.push_screen(TaskDetailScreen("job-1"))
            await settle(pilot)
            await pilot.press("r")
            await until(pilot, lambda: isinstance(app.screen, ConfirmModal))
            private_postgres.pause()
            try:
                await pilot.press("y")
                await wait_for_notice(pilot, "Outcome unknown", 10)
                await asyncio.sleep(STOPPED_AFTER_S)
            finally:
                private_postgres.resume()
            resumed = time.time()
            verdict = await wait_for_notice(pilot, "Action was applied", 15)
        record = store.audit_log("job-1").data[0]
        assert (record.action, record.record_ver_before) == ("revoke", 2)
        assert record.at >= resumed * 1000 - 500  # written on waking up (this host's clock is the server's)
        assert "before the connection broke" not in verdict
        assert "WAS APPLIED (the store recorded it at " in verdict
        assert "after the connection was lost; v2→v3); now starting, v3." in verdict
    finally:
        private_postgres.resume()
        store.close()
