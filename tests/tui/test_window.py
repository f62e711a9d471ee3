"""The task table keeps a bounded window of rows: far pages are dropped and
loaded again (by the keyset cursor that first fetched them) when scrolled back
to, without losing the cursor, the marks, "load more" or the filters."""

from __future__ import annotations

import pytest

from sokka_tui.screens import tasks as tasks_screen
from stores import scroll
from stores.base import StoreOptions
from stores.sqlite.store import SQLiteStore
from tests.tui.conftest import SIZE, open_topic, settle
from tests.waiting import until

WINDOW, SLACK = 300, 100  # small, so a few pages of 100 rows fill it
TASKS = 1_000


@pytest.fixture
def many(tmp_path, clock, monkeypatch):
    monkeypatch.setattr(tasks_screen, "WINDOW_ROWS", WINDOW)
    monkeypatch.setattr(tasks_screen, "WINDOW_SLACK", SLACK)
    store = SQLiteStore.open(f"sqlite://{tmp_path}/window.db", StoreOptions(), clock=clock)
    for batch in range(TASKS // 100):
        store.create_tasks([{"task_id": f"t{batch:02d}-{i:03d}", "topic": "bulk"} for i in range(100)])
        clock.advance(1000)
    yield store
    store.close()


def order(store, **filters) -> list[str]:
    """Every task id of topic ``bulk`` as the console lists it: newest first."""
    return [t.task_id for t in scroll(lambda c: store.list_tasks({"topic": "bulk", **filters}, c), {"limit": 500})]


def keys(table) -> list[str]:
    return [row_key.value for row_key in table.rows]


def cursor_in_view(table) -> bool:
    return table.scroll_y <= table.cursor_row < table.scroll_y + table.scrollable_content_region.height


async def test_far_pages_are_dropped_and_reloaded_in_order(many, make_app):
    expected = order(many)
    app = make_app(many)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_topic(pilot, "bulk")
        table = screen.table
        seen: list[str] = list(keys(table))
        while screen.page_cursor is not None:
            await pilot.press("ctrl+end")
            selected = screen.current_task().task_id
            await settle(pilot)
            assert table.row_count <= WINDOW and len(screen.tasks) == table.row_count
            assert screen.current_task().task_id == selected  # dropping rows above keeps the cursor's task
            assert cursor_in_view(table)
            seen += [key for key in keys(table) if key not in seen]
        # Every task was shown once, in order, and only a window of them is held.
        assert seen == expected
        assert screen.loaded_rows == TASKS and keys(table) == expected[-table.row_count:]
        title = str(screen.query_one("#title").render())
        first = TASKS - table.row_count + 1
        assert f"rows {first:,}–{TASKS:,} of {TASKS:,} loaded" in title
        assert f"live refresh paused: {TASKS:,} rows loaded" in title

        # Back up to the top: the dropped pages come back, the cursor stays on its task.
        while screen.rows_above:
            await pilot.press("ctrl+home")
            selected = screen.current_task().task_id
            await settle(pilot)
            assert table.row_count <= WINDOW
            assert screen.current_task().task_id == selected
            assert cursor_in_view(table)
            assert keys(table) == expected[screen.rows_above: screen.rows_above + table.row_count]
            # The total stays the deepest row loaded, though the pages below were dropped.
            first, last = screen.rows_above + 1, screen.rows_above + table.row_count
            assert f"rows {first:,}–{last:,} of {TASKS:,} loaded" in str(screen.query_one("#title").render())
        assert keys(table) == expected[: table.row_count]
        await pilot.press("ctrl+home")
        await settle(pilot)
        assert screen.current_task().task_id == expected[0] and cursor_in_view(table)
        # The pages dropped below come back too, from where the window ends now.
        assert screen.page_cursor is not None
        await pilot.press("ctrl+end")
        await settle(pilot)
        assert keys(table) == expected[screen.rows_above: screen.rows_above + table.row_count]


async def test_marks_outlive_their_rows(many, make_app):
    expected = order(many)
    app = make_app(many)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_topic(pilot, "bulk")
        await pilot.press("space")  # marks the first task
        assert expected[0] in screen.marks
        for _ in range(6):
            await pilot.press("ctrl+end")
            await settle(pilot)
        assert expected[0] not in screen.tasks and len(screen.marks) == 1  # dropped, still marked
        assert "1 marked" in str(screen.query_one("#title").render())
        assert "Actions apply to the 1 marked task " in str(screen.query_one("#task-actions").render())
        while screen.rows_above:
            await pilot.press("ctrl+home")
            await settle(pilot)
        row = screen.table.get_row(expected[0])
        assert str(row[0]) == "●"  # shown marked again when it comes back


async def test_filter_and_refresh_start_from_the_top(many, make_app, clock):
    app = make_app(many)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_topic(pilot, "bulk")
        for _ in range(5):
            await pilot.press("ctrl+end")
            await settle(pilot)
        assert screen.rows_above and screen.deep
        await pilot.press("R")  # deep in the list: R reloads from the top
        await settle(pilot)
        assert not screen.rows_above and screen.table.row_count == tasks_screen.PAGE_SIZE
        assert keys(screen.table) == order(many)[: tasks_screen.PAGE_SIZE]
        for _ in range(5):
            await pilot.press("ctrl+end")
            await settle(pilot)
        assert screen.rows_above
        clock.advance(10 * 60_000)  # every task now waits for too long
        await pilot.press("1")  # the filter "starting too long"
        await settle(pilot)
        assert "starting" in str(screen.query_one("#filter-line").render())
        assert not screen.rows_above and screen.table.row_count == tasks_screen.PAGE_SIZE
        assert keys(screen.table) == order(many)[: tasks_screen.PAGE_SIZE]


async def test_new_tasks_above_dropped_pages_skip_no_row(many, make_app, clock):
    """New tasks push the top page's last rows down while that page is dropped:
    loading it again brings them all, and scrolling down shows every row once."""
    app = make_app(many)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_topic(pilot, "bulk")
        table = screen.table
        while not screen.rows_above:
            await pilot.press("ctrl+end")
            await settle(pilot)
        clock.advance(1000)
        many.create_tasks([{"task_id": f"new-{i}", "topic": "bulk"} for i in range(5)])
        expected = order(many)
        assert expected[:5] == [f"new-{i}" for i in range(4, -1, -1)]
        deepest = screen.loaded_rows
        while screen.rows_above:
            await pilot.press("ctrl+home")
            await settle(pilot)
            assert table.row_count <= WINDOW
        assert keys(table) == expected[: table.row_count]  # the new tasks, and no gap below them
        title = str(screen.query_one("#title").render())
        assert f"rows 1–{table.row_count:,} of {deepest + 5:,}+ loaded" in title
        seen = list(keys(table))
        while screen.page_cursor is not None:
            await pilot.press("ctrl+end")
            await settle(pilot)
            assert keys(table) == expected[screen.rows_above: screen.rows_above + table.row_count]
            seen += [key for key in keys(table) if key not in seen]
        assert seen == expected and screen.loaded_rows == TASKS + 5
        assert f"of {TASKS + 5:,} loaded" in str(screen.query_one("#title").render())


def visible(table) -> list[str]:
    top = round(table.scroll_y)
    return keys(table)[top: top + table.scrollable_content_region.height]


async def test_window_shifts_keep_the_view_still(many, make_app, monkeypatch):
    """Dropping or loading pages above repaints the same rows at once: the
    cursor and the scroll offset are right as soon as the rows change."""
    app = make_app(many)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_topic(pilot, "bulk")
        table = screen.table
        for _ in range(2):
            await pilot.press("ctrl+end")
            await settle(pilot)
        assert table.row_count == WINDOW
        loads = []

        def fetch(load, done, what):  # held here, so the test runs it between two frames
            screen.paging = True  # as _fetch does: no second call while one is in flight
            loads.append((load, done))

        monkeypatch.setattr(screen, "_fetch", fetch)

        async def shift(row: int, rows_moved: int) -> None:
            table.move_cursor(row=row)
            await pilot.pause()
            assert len(loads) == 1  # the page the cursor came close to
            load, done = loads.pop()
            before, cursor, top = visible(table), screen.current_task().task_id, table.scroll_y
            line = table.cursor_row - table.scroll_y
            assert before and cursor in before
            screen.paging = False  # as _page_loaded does
            done(load(many))  # what the worker would do; no frame is painted in between
            for _ in range(2):  # right away, and after the next refresh
                assert screen.current_task().task_id == cursor
                assert table.scroll_y == top + rows_moved and table.cursor_row - table.scroll_y == line
                assert visible(table)[: len(before)] == before  # (rows added at the end may show below)
                await pilot.pause()

        await shift(WINDOW - 1, -2 * tasks_screen.PAGE_SIZE)  # the next page: two pages dropped above
        assert screen.rows_above == 2 * tasks_screen.PAGE_SIZE
        await shift(3, tasks_screen.PAGE_SIZE)  # near the top: the page above comes back
        assert screen.rows_above == tasks_screen.PAGE_SIZE


async def test_home_and_end_go_to_the_first_and_last_tasks(many, make_app):
    """One press of End: the topic's last task, its pages loaded through the
    window (never more than its rows held); Home: the first task again."""
    expected = order(many)
    app = make_app(many)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_topic(pilot, "bulk")
        table = screen.table
        held = []
        screen.window.add_page = _spy(screen.window.add_page, lambda: held.append(len(screen.tasks)))
        await pilot.press("end")
        await until(pilot, lambda: screen.page_cursor is None and not screen.paging)
        await settle(pilot)
        assert screen.current_task().task_id == expected[-1] and table.scroll_x == 0
        assert table.cursor_row == table.row_count - 1 and cursor_in_view(table)
        assert screen.loaded_rows == TASKS and keys(table) == expected[-table.row_count:]
        assert held and max(held) <= WINDOW + tasks_screen.PAGE_SIZE and table.row_count <= WINDOW
        await pilot.press("home")
        await settle(pilot)
        assert table.cursor_row == 0 and table.scroll_x == 0
        assert screen.current_task().task_id == expected[0] and screen.rows_above == 0


def _spy(method, after):
    def call(*args, **kwargs):
        result = method(*args, **kwargs)
        after()
        return result

    return call


async def test_more_new_tasks_above_than_a_window_start_again_from_the_top(many, make_app, clock):
    app = make_app(many)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_topic(pilot, "bulk")
        while not screen.rows_above:
            await pilot.press("ctrl+end")
            await settle(pilot)
        clock.advance(1000)
        many.create_tasks([{"task_id": f"new-{i:03d}", "topic": "bulk"} for i in range(WINDOW + 1)])
        while screen.rows_above:
            await pilot.press("ctrl+home")
            await settle(pilot)
        # Never a window bigger than WINDOW_ROWS, never a gap: the list starts again.
        assert keys(screen.table) == order(many)[: tasks_screen.PAGE_SIZE]
        assert screen.current_task().task_id == "new-300" and not screen.deep


async def wheel(pilot, table, event, notches: int = 4) -> None:
    """A turn of the mouse wheel over the table (Textual scrolls a few rows a notch)."""
    await pilot._post_mouse_events([event], widget=table, offset=(20, 10), times=notches)
    await settle(pilot, rounds=1)


async def test_the_mouse_wheel_pages_through_the_whole_topic_and_back(many, make_app):
    """Scrolling with the wheel (the cursor left where it was) loads the next
    pages at the bottom and the dropped ones at the top, as the keys do: the
    selection follows the view (never a row out of sight), the window stays
    bounded and every task is shown once, in order."""
    from textual.events import MouseScrollDown, MouseScrollUp

    expected = order(many)
    app = make_app(many)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_topic(pilot, "bulk")
        app.scroll_sensitivity_y = 12.0  # rows a notch (2 by default): fewer events to send
        table = screen.table
        seen = list(keys(table))
        for _ in range(500):
            if screen.page_cursor is None and table.scroll_y >= table.max_scroll_y:
                break
            await wheel(pilot, table, MouseScrollDown)
            assert table.row_count <= WINDOW and len(screen.tasks) == table.row_count
            assert cursor_in_view(table)
            seen += [key for key in keys(table) if key not in seen]
        assert seen == expected and screen.rows_above > 0
        assert keys(table)[-1] == expected[-1]
        for _ in range(500):
            if not screen.rows_above and table.scroll_y == 0:
                break
            await wheel(pilot, table, MouseScrollUp)
            assert table.row_count <= WINDOW and cursor_in_view(table)
        assert keys(table)[0] == expected[0] and cursor_in_view(table)
