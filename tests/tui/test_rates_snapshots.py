"""Snapshots of rates over time, on a frozen clock: three quarters of an hour
of traffic in ``emails`` and ``billing.invoices`` (a pattern, the same every
run), then the fixed dataset; the topics screen's sparkline columns, and the
tasks screen's chart by the hour, by the day, and at 80x24 when asked for
(``c``), with waits the console sampled over five refreshes a minute apart."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable

from stores.base import StoreOptions
from stores.sqlite.store import SQLiteStore
from tests.tui.conftest import SIZE, settle
from tests.tui.dataset import FROZEN_MS, fill

SMALL = (80, 24)
MINUTE = 60_000
#: Ten hours: the traffic's snoozed tasks stay asleep while the dataset is made.
LONG_SNOOZE = 10 * 3_600_000


def traffic(store, clock, minutes: int = 45) -> None:
    """Each minute: a few tasks made and reserved, most finished, some failed,
    now and then one snoozed; busier towards the end."""
    for minute in range(minutes):
        for topic, base in (("emails", 2), ("billing.invoices", 1)):
            count = base + (minute * 7) % 5 + minute // 15
            store.create_tasks([{"task_id": f"{topic[:5]}-m{minute:02d}-{n}", "topic": topic} for n in range(count)])
            for n in range(count):
                task = store.reserve_task(topic, "worker-t:1")
                if n == 0 and minute % 6 == 0:
                    store.fail(task.task_id, "worker-t:1", "SMTP 451: try again later")
                elif n == 1 and minute % 4 == 0:
                    store.snooze(task.task_id, "worker-t:1", LONG_SNOOZE)
                else:
                    store.terminate(task.task_id, "worker-t:1")
            clock.advance(1_000)
        clock.advance(MINUTE - 2_000)


@pytest.fixture
def rates_store(tmp_path, clock):
    clock.now = FROZEN_MS - 50 * MINUTE
    store = SQLiteStore.open(f"sqlite://{tmp_path}/rates.db", StoreOptions(lease_time_ms=60_000), clock=clock)
    traffic(store, clock)
    fill(store, clock)
    yield store
    store.close()


async def _sampled(pilot, clock, refreshes: int = 5) -> None:
    """The topics screen refreshed once a minute for a few minutes: the console's
    own samples of the waits (a task of ``emails`` waits longer each time)."""
    await settle(pilot)
    for _ in range(refreshes):
        clock.advance(MINUTE)
        await pilot.press("R")
        await settle(pilot)


async def _open(pilot, topic: str) -> None:
    topics = pilot.app.screen.query_one("#topics", DataTable)
    topics.move_cursor(row=topics.get_row_index(topic))
    await pilot.press("enter")
    await settle(pilot)
    await settle(pilot)


@pytest.fixture
def snap(snap_compare, rates_store, make_app, clock):
    def take(run_before, size=SIZE):
        async def steps(pilot):
            await _sampled(pilot, clock)
            await run_before(pilot)

        return snap_compare(make_app(rates_store), terminal_size=size, run_before=steps)

    return take


async def _nothing(pilot) -> None:
    return None


def test_topics_screen_with_rates(snap):
    assert snap(_nothing)


def test_tasks_screen_with_rates_chart(snap):
    async def run_before(pilot):
        await _open(pilot, "emails")

    assert snap(run_before)


def test_tasks_screen_rates_chart_by_day(snap):
    async def run_before(pilot):
        await _open(pilot, "emails")
        await pilot.press("C")
        await settle(pilot)

    assert snap(run_before)


def test_tasks_screen_rates_chart_80x24(snap):
    async def run_before(pilot):
        await _open(pilot, "emails")
        await pilot.press("c")  # hidden at 24 lines until asked for
        await settle(pilot)

    assert snap(run_before, SMALL)
