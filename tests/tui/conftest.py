"""Fixtures of the console suite: real stores, a stepping clock, and a helper to
let loads finish before asserting."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable

from sokka_tui.app import build_app
from sokka_tui.screens.bulk_run import BulkRunScreen
from sokka_tui.screens.tasks import TasksScreen
from stores.base import StoreOptions
from stores.sqlite.store import SQLiteStore
from tests.tui.dataset import SteppingClock, fill
from tests.waiting import until

SIZE = (160, 48)


async def settle(pilot, rounds: int = 3) -> None:
    """Let every store call in flight finish and its result be shown."""
    for _ in range(rounds):
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def open_topic(pilot, topic: str) -> TasksScreen:
    """From the topics screen, open ``topic``'s tasks and let them load (once
    the topics' first load has shown its row)."""
    table = pilot.app.screen.query_one("#topics", DataTable)
    await until(pilot, lambda: topic in table.rows)
    table.move_cursor(row=table.get_row_index(topic))
    await pilot.press("enter")
    await settle(pilot)
    assert isinstance(pilot.app.screen, TasksScreen)
    return pilot.app.screen


async def finish_run(pilot) -> BulkRunScreen:
    """Wait for a confirmed bulk action's run screen, then for the run to end."""
    await until(pilot, lambda: isinstance(pilot.app.screen, BulkRunScreen))
    run = pilot.app.screen
    assert isinstance(run, BulkRunScreen)
    await until(pilot, lambda: not run.running)
    await settle(pilot)
    return run


@pytest.fixture
def clock() -> SteppingClock:
    return SteppingClock()


@pytest.fixture
def frozen_store(tmp_path, clock):
    """A real SQLite store whose clock is ``clock``, filled with the fixed dataset."""
    store = SQLiteStore.open(f"sqlite://{tmp_path}/console.db", StoreOptions(lease_time_ms=60_000), clock=clock)
    fill(store, clock)
    yield store
    store.close()


#: How many tasks ``live_topic`` starts with.
LIVE_TASKS = 300


@pytest.fixture
def live_topic(tmp_path, clock):
    """A store with one topic, ``live``, of ``LIVE_TASKS`` tasks ``t000``... created
    10 ms apart (``t299`` newest), for refreshes that bring new tasks above them."""
    store = SQLiteStore.open(f"sqlite://{tmp_path}/live.db", StoreOptions(), clock=clock)
    for i in range(LIVE_TASKS):
        store.create_task({"task_id": f"t{i:03d}", "topic": "live"})
        clock.advance(10)
    yield store
    store.close()


def add_live_tasks(store, clock, count: int) -> None:
    """``count`` new tasks in ``live``, a second after the last ones."""
    clock.advance(1000)
    store.create_tasks([{"task_id": f"new-{clock()}-{i}", "topic": "live"} for i in range(count)])


@pytest.fixture
def make_app(clock):
    """``make_app(store, **kw)``: the console as the CLI builds it, with the test clock,
    no live refresh (tests refresh explicitly) and a fixed operator name."""

    def make(store, **kwargs):
        kwargs.setdefault("clock", clock)
        kwargs.setdefault("refresh_interval", 3600)
        kwargs.setdefault("operator", "ops@console")
        return build_app(store, store_label="test store", **kwargs)

    return make
