"""A lease that ended less than the grace ago is "expiring", not STUCK, on every
part of the console: the topics counts, the leased panel, the task list's
lease column and stuck class, and ``X``. On a real SQLite store whose clock
is the test's (``SteppingClock``): leases end exactly when the test says."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable, Static

from sokka_tui.screens.bulk_preview import BulkPreviewModal
from sokka_tui.screens.topics import STUCK_COLUMN, TopicsScreen
from sokka_tui.widgets.leased_panel import LeasedPanel
from stores.base import StoreOptions
from stores.sqlite.store import SQLiteStore
from tests.tui.conftest import SIZE, open_topic, settle
from tests.waiting import until

LEASE_MS = 1_000
GRACE_MS = 2_000


@pytest.fixture
def leased_store(tmp_path, clock):
    """Three running tasks of ``mail`` whose one-second leases all end together."""
    store = SQLiteStore.open(f"sqlite://{tmp_path}/leases.db", StoreOptions(lease_time_ms=LEASE_MS), clock=clock)
    store.create_tasks([{"task_id": f"mail-{i}", "topic": "mail"} for i in range(3)])
    for _ in range(3):
        store.reserve_task("mail", "worker-1")
    yield store
    store.close()


async def refresh(pilot) -> None:
    await pilot.press("R")
    await settle(pilot)


def summary(screen) -> str:
    return str(screen.query_one("#summary", Static).render())


def panel_title(screen) -> str:
    return str(screen.query_one("#leased-title", Static).render())


def lease_labels(screen) -> list[str]:
    table = screen.query_one(LeasedPanel).table
    return [str(table.get_row_at(row)[0]) for row in range(table.row_count)]


def stuck_column(screen, topic: str) -> str:
    table = screen.query_one("#topics", DataTable)
    return str(table.get_row(topic)[STUCK_COLUMN])


async def test_a_lease_that_ended_milliseconds_ago_is_expiring_and_x_leaves_it(leased_store, clock, make_app):
    app = make_app(leased_store, expiring_grace_ms=GRACE_MS)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        clock.advance(LEASE_MS + 5)  # every lease ended 5 ms ago, by the store's clock
        await refresh(pilot)
        screen = app.screen
        assert isinstance(screen, TopicsScreen)
        assert "stuck" not in summary(screen) and "3 leases expiring" in summary(screen)
        assert "stuck" not in panel_title(screen) and "3 leases expiring" in panel_title(screen)
        assert stuck_column(screen, "mail") == "0"
        assert lease_labels(screen) == ["expiring now"] * 3  # under a second reads "now" (render.ago)
        await pilot.press("X")
        await until(pilot, lambda: any(n.message == "No expired leases in topic mail." for n in app._notifications))
        assert not isinstance(app.screen, BulkPreviewModal)

        clock.advance(GRACE_MS)  # now they ended 2.005 s ago: past the grace, stuck
        await refresh(pilot)
        assert "3 stuck (leases expired)" in summary(screen) and "expiring" not in summary(screen)
        assert "3 stuck (leases expired)" in panel_title(screen)
        assert stuck_column(screen, "mail") == "3"
        assert all(label.startswith("STUCK 2s ago") for label in lease_labels(screen))
        await pilot.press("X")
        await until(pilot, lambda: isinstance(app.screen, BulkPreviewModal))
        assert len(app.screen.marks) == 3


async def test_the_stuck_class_and_lease_column_wait_for_the_grace(leased_store, clock, make_app):
    app = make_app(leased_store, expiring_grace_ms=GRACE_MS)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        clock.advance(LEASE_MS + 500)
        tasks = await open_topic(pilot, "mail")
        lease = [heading for heading, _ in tasks.columns].index("Lease / wake")
        lease_column = [str(tasks.table.get_row_at(row)[lease]) for row in range(tasks.table.row_count)]
        assert lease_column == ["expiring now"] * 3  # under a second reads "now" (render.ago)
        await pilot.press("2")  # running with an expired lease
        await settle(pilot)
        assert tasks.table.row_count == 0
        clock.advance(GRACE_MS)
        await refresh(pilot)
        assert tasks.table.row_count == 3
        assert str(tasks.table.get_row_at(0)[lease]).startswith("STUCK")


async def test_a_grace_of_zero_calls_an_ended_lease_stuck_at_once(leased_store, clock, make_app):
    app = make_app(leased_store, expiring_grace_ms=0)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        clock.advance(LEASE_MS + 5)
        await refresh(pilot)
        assert "3 stuck (leases expired)" in summary(app.screen)
        assert lease_labels(app.screen) == ["STUCK now"] * 3  # under a second reads "now" (render.ago)


async def test_the_topics_counts_and_the_leased_panel_agree_after_every_refresh(leased_store, clock, make_app):
    """One snapshot per refresh: the header, the topic's row and the panel count
    the same leases, also when the panel's countdowns redraw between refreshes."""
    more = [{"task_id": f"late-{i}", "topic": "mail"} for i in range(4)]
    leased_store.create_tasks(more)
    for _ in more:  # leases ending 300 ms apart, after the first three
        clock.advance(300)
        leased_store.reserve_task("mail", "worker-2")
    app = make_app(leased_store, expiring_grace_ms=500)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        seen = set()
        for _ in range(12):
            clock.advance(200)
            await refresh(pilot)
            clock.advance(150)  # the panel's one-second redraw comes between two refreshes
            screen.query_one(LeasedPanel).redraw()
            header, panel, row = stuck_count(summary(screen)), stuck_count(panel_title(screen)), int(
                stuck_column(screen, "mail"))
            assert header == panel == row, (summary(screen), panel_title(screen), row)
            seen.add(header)
        assert len(seen) > 2 and max(seen) == 7  # the counts moved while leases expired


def stuck_count(text: str) -> int:
    words = text.split()
    return int(words[words.index("stuck") - 1]) if "stuck" in words else 0
