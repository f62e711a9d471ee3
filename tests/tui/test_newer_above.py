"""Rows that a refresh brings above a scrolled list are out of sight: the title
says how many ("3 newer tasks above") until the operator goes up to them, and
the view never moves under the operator to show them."""

from __future__ import annotations

from tests.tui.conftest import SIZE, add_live_tasks, open_topic, settle


def title(screen) -> str:
    return str(screen.query_one("#title").content)


async def refresh_with_new_tasks(pilot, screen, store, clock, count: int) -> None:
    add_live_tasks(store, clock, count)
    screen.tick()
    await settle(pilot)


async def test_newer_rows_above_a_scrolled_list_are_counted_until_home(live_topic, make_app, clock):
    app = make_app(live_topic)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_topic(pilot, "live")
        table = screen.table
        for _ in range(40):
            await pilot.press("down")
        await settle(pilot)
        assert table.scroll_y > 0 and "above" not in title(screen)
        task, line = screen.current_task().task_id, table.cursor_row - round(table.scroll_y)
        await refresh_with_new_tasks(pilot, screen, live_topic, clock, 1)
        assert "1 newer task above" in title(screen)
        await refresh_with_new_tasks(pilot, screen, live_topic, clock, 2)
        assert "3 newer tasks above" in title(screen)
        # The view held still: the same task, on the same line of the screen.
        assert screen.current_task().task_id == task and table.cursor_row - round(table.scroll_y) == line
        await pilot.press("home")
        await settle(pilot)
        assert table.cursor_row == 0 and "newer" not in title(screen)


async def test_scrolling_up_to_the_newer_rows_clears_the_count(live_topic, make_app, clock):
    app = make_app(live_topic)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_topic(pilot, "live")
        for _ in range(40):
            await pilot.press("down")
        await settle(pilot)
        await refresh_with_new_tasks(pilot, screen, live_topic, clock, 2)
        assert "2 newer tasks above" in title(screen)
        for _ in range(60):
            await pilot.press("up")
        await settle(pilot)
        assert screen.table.scroll_y == 0 and "newer" not in title(screen)


async def test_at_the_top_new_rows_show_and_nothing_is_said(live_topic, make_app, clock):
    app = make_app(live_topic)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_topic(pilot, "live")
        await pilot.press("down", "down")
        await refresh_with_new_tasks(pilot, screen, live_topic, clock, 2)
        assert screen.table.scroll_y == 0 and str(screen.table.get_row_at(0)[1]).startswith("new-")
        assert "newer" not in title(screen)
