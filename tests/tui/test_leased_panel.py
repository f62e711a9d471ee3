"""The leased panel: its bar measures each lease against the length the store
granted it (a worker's 5 s lease is not a sliver of the console's 2 minutes),
and ``X`` on the topics screen acts on the topic of the leased task under the
cursor when the panel has the focus."""

from __future__ import annotations

import asyncio

import pytest
from textual.widgets import DataTable

from sokka_tui.clock import system_clock
from sokka_tui.screens.bulk_preview import BulkPreviewModal
from sokka_tui.screens.topics import TopicsScreen
from sokka_tui.widgets.leased_panel import BAR_WIDTH, LeasedPanel
from tests.tui.conftest import SIZE, settle
from tests.waiting import until

WORKER_LEASE_MS = 5_000


async def test_the_bar_is_out_of_the_lease_the_store_granted(make_store, make_app):
    """A worker's store grants 5 s leases; the console's own lease time is the
    default two minutes. On every backend."""
    worker = make_store(lease_time_ms=WORKER_LEASE_MS)
    console = make_store(namespace=worker.namespace)
    assert console.lease_time_ms > 20 * WORKER_LEASE_MS
    worker.create_task({"task_id": "short-1", "topic": "mail"})
    leased = worker.reserve_task("mail", "w1")
    assert leased is not None
    assert leased.lease_expires_at - leased.updated_at == WORKER_LEASE_MS  # what the bar relies on
    app = make_app(console, clock=system_clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        panel = app.screen.query_one(LeasedPanel)
        panel.redraw()
        now = app.clock.now()
        bar = str(panel.table.get_row("short-1")[1])
        remaining = leased.lease_expires_at - now
        assert 0 < remaining <= WORKER_LEASE_MS
        expected = round(BAR_WIDTH * remaining / WORKER_LEASE_MS)
        assert abs(bar.count("█") - expected) <= 1, (bar, remaining)
        assert bar.count("█") >= BAR_WIDTH // 2  # the lease is young: the bar is far from empty


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_x_acts_on_the_topic_of_the_focused_leased_row(make_store, make_app):
    short = make_store(lease_time_ms=300)  # the worker of beta, which died
    store = make_store(lease_time_ms=60_000, namespace=short.namespace)
    store.create_tasks([{"task_id": "a1", "topic": "alpha"}, {"task_id": "a2", "topic": "alpha"}])
    store.reserve_task("alpha", "live")  # alpha: a live lease, none expired
    short.create_tasks([{"task_id": f"b{i}", "topic": "beta"} for i in range(3)])
    stuck = {short.reserve_task("beta", "dead").task_id for _ in range(2)}
    await asyncio.sleep(0.5)  # beta's leases end by the store's clock
    app = make_app(store, clock=system_clock, expiring_grace_ms=0)  # ended is stuck at once (no grace)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, TopicsScreen)
        topics = screen.query_one("#topics", DataTable)
        assert topics.cursor_row == topics.get_row_index("alpha")  # the topics table is on alpha
        await pilot.press("tab")
        panel = screen.query_one(LeasedPanel)
        assert panel.table.has_focus
        panel.table.move_cursor(row=panel.table.get_row_index(sorted(stuck)[0]))
        await pilot.pause()
        assert "STUCK" in str(panel.table.get_row_at(panel.table.cursor_row)[0])
        await pilot.press("X")
        await until(pilot, lambda: isinstance(app.screen, BulkPreviewModal))
        preview = app.screen
        assert isinstance(preview, BulkPreviewModal)
        assert {item.task_id for item in preview.marks.items()} == stuck
        assert preview.marks.topics() == ["beta"]
        shown = " ".join(str(widget.render()) for widget in preview.query("Static"))
        assert "Revoke the lease of 2 tasks in beta" in shown
        await pilot.press("escape")
        await settle(pilot)
        # With the focus back on the topics table, X is alpha's again: nothing expired there.
        topics.focus()
        await pilot.press("X")
        await until(pilot, lambda: any(n.message == "No expired leases in topic alpha."
                                       for n in app._notifications))
        assert not isinstance(app.screen, BulkPreviewModal)
