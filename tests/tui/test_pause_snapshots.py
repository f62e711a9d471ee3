"""Snapshots of pausing a topic: the pause prompt, and a paused topic on the
topics screen and on its tasks screen (title and leased panel), on the frozen
store and clock."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable, Input

from tests.tui.conftest import SIZE, settle


async def _steady(pilot) -> None:
    await settle(pilot)
    for field in pilot.app.screen.query(Input):
        field.cursor_blink = False
    await pilot.pause()


@pytest.fixture
def paused_store(frozen_store):
    frozen_store.pause_topic("emails", for_ms=600_000, reason="mail relay down: INC-4412")
    frozen_store.pause_topic("reports", reason="quarter close")  # no tasks yet: listed too
    return frozen_store


@pytest.fixture
def snap(snap_compare, paused_store, make_app):
    def take(run_before, **app_kwargs):
        return snap_compare(make_app(paused_store, **app_kwargs), terminal_size=SIZE, run_before=run_before)

    return take


def test_paused_topics_screen(snap):
    assert snap(_steady)


def test_paused_topic_tasks_screen(snap):
    async def run_before(pilot):
        await _steady(pilot)
        topics = pilot.app.screen.query_one("#topics", DataTable)
        topics.move_cursor(row=topics.get_row_index("emails"))
        await pilot.press("enter")
        await _steady(pilot)

    assert snap(run_before)


def test_pause_prompt(snap):
    async def run_before(pilot):
        await _steady(pilot)
        topics = pilot.app.screen.query_one("#topics", DataTable)
        topics.move_cursor(row=topics.get_row_index("billing.invoices"))
        await pilot.press("p")
        await _steady(pilot)
        await pilot.press(*"1h30m")
        await pilot.press("enter")
        await pilot.press(*"invoice template broken")
        await _steady(pilot)

    assert snap(run_before)
