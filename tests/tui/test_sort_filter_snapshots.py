"""Snapshots of the filter line (``/``, text typed, the topics narrowed) and
the sort picker (``S``), on the fixed dataset with a frozen clock."""

from __future__ import annotations

import pytest
from textual.widgets import Input

from tests.tui.conftest import SIZE, settle


async def _steady(pilot) -> None:
    await settle(pilot)
    for field in pilot.app.screen.query(Input):
        field.cursor_blink = False
    await pilot.pause()


@pytest.fixture
def snap(snap_compare, frozen_store, make_app):
    def take(run_before):
        return snap_compare(make_app(frozen_store), terminal_size=SIZE, run_before=run_before)

    return take


def test_filter_line_on_topics(snap):
    async def run_before(pilot):
        await _steady(pilot)
        await pilot.press("slash", *"mail")
        await _steady(pilot)

    assert snap(run_before)


def test_filter_line_on_tasks_refusing_input(snap):
    async def run_before(pilot):
        await _steady(pilot)
        await pilot.press("enter")  # the first topic (by name): billing.invoices
        await _steady(pilot)
        await pilot.press("slash")
        # The whole text at once: typed key by key on a busy machine, a pause
        # after "failed" would send it (the typed filter is sent when typing pauses).
        pilot.app.screen.query_one("#filter-input", Input).value = "failed sub:"
        await _steady(pilot)

    assert snap(run_before)


def test_sort_picker(snap):
    async def run_before(pilot):
        await _steady(pilot)
        await pilot.press("S", "down", "down", "enter")  # Running: most first
        await _steady(pilot)
        await pilot.press("S")
        await _steady(pilot)

    assert snap(run_before)
