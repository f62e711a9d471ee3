"""Fixtures of the console suite: real stores, a stepping clock, and a helper to
let loads finish before asserting."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable

from sokka_tui.app import build_app
from sokka_tui.screens.tasks import TasksScreen
from stores.base import StoreOptions
from stores.sqlite.store import SQLiteStore
from tests.tui.dataset import SteppingClock, fill

SIZE = (160, 48)


async def settle(pilot, rounds: int = 3) -> None:
    """Let every store call in flight finish and its result be shown."""
    for _ in range(rounds):
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def open_topic(pilot, topic: str) -> TasksScreen:
    """From the topics screen, open ``topic``'s tasks and let them load."""
    table = pilot.app.screen.query_one("#topics", DataTable)
    table.move_cursor(row=table.get_row_index(topic))
    await pilot.press("enter")
    await settle(pilot)
    assert isinstance(pilot.app.screen, TasksScreen)
    return pilot.app.screen


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
