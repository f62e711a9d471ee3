"""Snapshots of the failures view and the re-run confirmation (the fixed dataset,
frozen clock: see test_snapshots.py)."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable

from tests.tui.conftest import SIZE, settle
from tests.tui.test_snapshots import _steady


@pytest.fixture
def snap(snap_compare, frozen_store, make_app, clock):
    def take(run_before):
        # A topic of failures: three of one kind, one of another, one without text.
        errors = ["S3 upload timed out\nat part 3", "disk full", "S3 upload timed out\nat part 7", "",
                  "S3 upload timed out"]
        for n, error in enumerate(errors):
            task = frozen_store.create_task(
                {"task_id": f"export-{n:03d}", "topic": "exports", "task_description": f"export #{n}"})
            frozen_store.reserve_task("exports", "worker-d4:7171")
            clock.advance(60_000)
            frozen_store.fail(task.task_id, "worker-d4:7171", error)
        return snap_compare(make_app(frozen_store), terminal_size=SIZE, run_before=run_before)

    return take


async def _failures(pilot) -> None:
    await _steady(pilot)
    topics = pilot.app.screen.query_one("#topics", DataTable)
    topics.move_cursor(row=topics.get_row_index("exports"))
    await pilot.press("E")
    await _steady(pilot)


def test_failures_screen(snap):
    assert snap(_failures)


def test_rerun_confirmation(snap):
    async def run_before(pilot):
        await _failures(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("N")
        await _steady(pilot)

    assert snap(run_before)
