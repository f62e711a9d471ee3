"""The leased panel: its bar measures each lease against the length the store
granted it (a worker's 5 s lease is not a sliver of the console's 2 minutes)."""

from __future__ import annotations

from sokka_tui.clock import system_clock
from sokka_tui.widgets.leased_panel import BAR_WIDTH, LeasedPanel
from tests.tui.conftest import SIZE, settle

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
