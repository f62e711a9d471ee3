"""A bulk revoke the store stops answering during (SIGSTOP of a private
PostgreSQL): the run ends with every task of the chunk in flight *unknown*,
listed; once the server resumes, each is settled within seconds, to what the
store and its audit trail say: done when this run's record is there, skipped
(nothing written) when the task is unchanged."""

from __future__ import annotations

import time

from textual.widgets import DataTable, Input

import stores
from sokka_tui.clock import system_clock
from sokka_tui.screens.bulk_preview import BulkPreviewModal
from sokka_tui.screens.bulk_run import UNKNOWN, BulkRunScreen
from sokka_tui.settle import NOT_WRITTEN
from stores.audit import Operator
from stores.bulk import BulkOutcome
from tests.tui.conftest import SIZE, settle
from tests.waiting import until, wait_for

OPS = Operator("ops", "console-host", "sokka-tui")
TIMEOUT_S = 1
TASKS = 250
#: From SIGCONT to every task settled.
SETTLED_WITHIN_S = 10


async def test_a_bulk_revoke_stopped_by_a_paused_server_settles_after_it_resumes(private_postgres, make_app):
    url = private_postgres.url
    with stores.open_store(url, lease_time_ms=1_000, timeout=5) as fleet:  # the workers that died
        fleet.create_tasks([{"task_id": f"x{i:03d}", "topic": "fleet"} for i in range(TASKS)])
        held = [fleet.reserve_task("fleet", "dead-worker") for _ in range(TASKS)]
        assert all(task is not None and task.record_ver == 2 for task in held)
    store = stores.open_store(url, operator=OPS, timeout=TIMEOUT_S, lease_time_ms=60_000)
    try:
        assert wait_for(lambda: store.topics()[0].expired_leases == TASKS, timeout=10)
        app = make_app(store, clock=system_clock, expiring_grace_ms=0)  # X takes every ended lease at once
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await pilot.press("X")
            await until(pilot, lambda: isinstance(app.screen, BulkPreviewModal))
            app.screen.query_one("#confirm-word", Input).value = "fleet"
            private_postgres.pause()
            try:
                await pilot.press("enter")
                await until(pilot, lambda: isinstance(app.screen, BulkRunScreen))
                run = app.screen
                assert isinstance(run, BulkRunScreen)
                await until(pilot, lambda: not run.running, timeout=15)
                counts = str(run.query_one("#bulk-counts").render())
                assert len(run.unknown) == TASKS and f"unknown {TASKS}" in counts
                await pilot.press("6")
                table = run.query_one("#bulk-results", DataTable)
                assert {str(table.get_row_at(i)[1]) for i in range(table.row_count)} == {UNKNOWN}
                assert table.row_count == 200  # a view lists its first 200
            finally:
                private_postgres.resume()
            resumed = time.monotonic()
            await until(pilot, lambda: not run.unknown, timeout=SETTLED_WITHIN_S + 5)
            took = time.monotonic() - resumed
            await settle(pilot)
            assert took < SETTLED_WITHIN_S, f"settled {took:.1f} s after the server resumed"
            assert "Bulk run settled" in [n.title for n in app._notifications]
            counts = str(run.query_one("#bulk-counts").render())
            assert "unknown" not in counts.split("\n")[0]
        results = {result.task_id: result for result in run.results}
        assert sorted(results) == [f"x{i:03d}" for i in range(TASKS)]
        # Each outcome is what the store says now: unchanged means nothing written
        # (skipped, so m marks it again); revoked means this run's record is there.
        for task_id, result in results.items():
            task = store.task(task_id)
            assert task is not None
            if task.record_ver == 2:
                assert (result.outcome, result.reason) == (BulkOutcome.SKIPPED, NOT_WRITTEN), task_id
            else:
                assert result.outcome == BulkOutcome.DONE and task.status == "starting", task_id
                record = store.audit_log(task_id).data[0]
                assert (record.action, record.batch_id) == ("revoke", run.batch_id)
        print({outcome: sum(r.outcome == outcome for r in results.values()) for outcome in BulkOutcome},
              f"settled {took:.1f} s after SIGCONT")
    finally:
        private_postgres.resume()
        store.close()
