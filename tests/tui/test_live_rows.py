"""A live refresh that brings new rows never makes the list jump: scrolled
into a topic, the selected task stays on its line of the screen; at the top,
the new tasks show above it. The cursor stays on its task, always in sight,
and no frame shows the table scrolled back to the top in between."""

from __future__ import annotations

from tests.tui.conftest import SIZE, add_live_tasks, open_topic, settle


def line_of_cursor(table) -> int:
    return table.cursor_row - round(table.scroll_y)


def rows_shown(table) -> int:
    return table.scrollable_content_region.height - table.header_height


async def refresh_with_new_tasks(pilot, screen, store, clock, count: int, scroll_seen: list) -> None:
    add_live_tasks(store, clock, count)
    screen.tick()
    for _ in range(20):  # every frame until the refresh has been shown
        await pilot.pause()
        scroll_seen.append(screen.table.scroll_y)
        if not screen._loading:
            break
    await settle(pilot)


async def test_new_rows_above_keep_a_scrolled_view_still(live_topic, make_app, clock):
    app = make_app(live_topic)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_topic(pilot, "live")
        table = screen.table
        for _ in range(60):
            await pilot.press("down")
        await pilot.press("pagedown")
        await settle(pilot)
        assert table.scroll_y > 0
        task, line, top = screen.current_task().task_id, line_of_cursor(table), table.scroll_y
        scrolls: list[float] = []
        await refresh_with_new_tasks(pilot, screen, live_topic, clock, 5, scrolls)
        assert str(table.get_row_at(0)[1]).startswith("new-")  # the refresh did show the new rows
        assert screen.current_task().task_id == task
        assert line_of_cursor(table) == line and table.scroll_y == top + 5
        assert min(scrolls) >= top  # never back at the top in between


async def test_at_the_top_new_rows_show_and_the_cursor_keeps_its_task(live_topic, make_app, clock):
    app = make_app(live_topic)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_topic(pilot, "live")
        table = screen.table
        for _ in range(3):
            await pilot.press("down")
        await settle(pilot)
        task = screen.current_task().task_id
        await refresh_with_new_tasks(pilot, screen, live_topic, clock, 4, [])
        assert table.scroll_y == 0 and str(table.get_row_at(0)[1]).startswith("new-")
        assert screen.current_task().task_id == task and table.cursor_row == 3 + 4
        # More new rows than there is room below the cursor: it stays on its task, in sight.
        await refresh_with_new_tasks(pilot, screen, live_topic, clock, rows_shown(table), [])
        assert screen.current_task().task_id == task
        assert 0 <= line_of_cursor(table) < rows_shown(table)
