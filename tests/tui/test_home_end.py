"""Home and End go to the first and last row of every list: the topics table
and the leased panel (the task list's paging End is in test_window)."""

from __future__ import annotations

from textual.widgets import DataTable

from sokka_tui.widgets.leased_panel import LeasedPanel
from tests.tui.conftest import SIZE, settle


async def _home_end(pilot, table: DataTable) -> None:
    table.focus()
    table.move_cursor(row=1)
    await pilot.pause()
    await pilot.press("end")
    await pilot.pause()
    assert table.cursor_row == table.row_count - 1 and table.scroll_x == 0
    await pilot.press("home")
    await pilot.pause()
    assert table.cursor_row == 0 and table.scroll_x == 0


async def test_home_and_end_on_the_topics_and_the_leased_panel(frozen_store, make_app):
    app = make_app(frozen_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        topics = app.screen.query_one("#topics", DataTable)
        assert topics.row_count >= 3
        await _home_end(pilot, topics)
        panel = app.screen.query_one(LeasedPanel).table
        assert panel.row_count >= 3
        await _home_end(pilot, panel)
