"""The task list's window without a screen or a store: pages of real ``Task``
values, listed newest first from a plain list by a keyset cursor, as a store
lists them."""

from __future__ import annotations

from dataclasses import replace

from sokka_tui.window import Cursor, Window
from stores import Page, Task
from tests.unit.values import make_task

PAGE = 100


def task(n: int) -> Task:
    """Task ``t0000``, ``t0001``, ...: a higher number is newer."""
    return make_task(f"t{n:04d}", topic="bulk", created_at=1_000_000 + n, updated_at=1_000_000 + n)


class Topic:
    """Tasks listed as ``list_tasks`` lists them: newest first, by a keyset cursor."""

    def __init__(self, tasks: list[Task]) -> None:
        self.tasks = tasks
        self.calls: list[Cursor] = []

    def add(self, tasks: list[Task]) -> None:
        self.tasks += tasks

    def ordered(self) -> list[Task]:
        return sorted(self.tasks, key=lambda t: (t.updated_at, t.task_id), reverse=True)

    def ids(self) -> list[str]:
        return [t.task_id for t in self.ordered()]

    def list_page(self, cursor: Cursor) -> Page[Task]:
        self.calls.append(cursor)
        rows = self.ordered()
        if "after" in cursor:
            after = tuple(cursor["after"])
            rows = [t for t in rows if (t.updated_at, t.task_id) < after]
        limit = cursor["limit"]
        data = rows[:limit]
        more = len(rows) > limit
        last = data[-1] if data else None
        next_cursor = {"limit": PAGE, "after": [last.updated_at, last.task_id]} if more and last else None
        return Page(data, next_cursor)


def topic_of(count: int) -> Topic:
    return Topic([task(n) for n in range(count)])


def opened(topic: Topic, window: Window) -> Window:
    """The first load from the top, as a live refresh makes it."""
    page = topic.list_page({"limit": window.refresh_limit()})
    window.reset(page.data, dict(page.cursor) if page.cursor else None)
    return window


def page_down(topic: Topic, window: Window, keep: str | None = None) -> tuple[list[Task], int]:
    """What the screen does when the cursor nears the last row: the next page, then room made above."""
    assert window.next_cursor is not None
    cursor = dict(window.next_cursor)
    fresh = window.add_page(cursor, topic.list_page(cursor))
    dropped = window.drop_above(keep=keep) if window.overfull else 0
    return fresh, dropped


def page_up(topic: Topic, window: Window, keep: str | None = None) -> tuple[list[Task], int] | None:
    """What the screen does when the cursor nears the first row with pages dropped above."""
    refetch = window.refetch_above()
    assert refetch is not None
    pages = refetch.run(topic.list_page)
    if pages is None:
        return None
    return window.add_pages_above(pages, keep=keep)


def keys(window: Window) -> list[str]:
    return list(window.tasks)


def test_the_first_load_is_one_page_with_more_to_come():
    topic = topic_of(250)
    window = opened(topic, Window(300, 100))
    assert keys(window) == topic.ids()[:PAGE]
    assert window.next_cursor is not None and not window.has_above and not window.deep
    assert window.loaded_rows == PAGE and window.rows_above == 0
    assert window.loaded_label() == "100+ loaded"


def test_paging_down_appends_in_order_and_the_end_has_no_plus():
    topic = topic_of(250)
    window = opened(topic, Window(300, 100))
    while window.next_cursor is not None:
        fresh, dropped = page_down(topic, window)
        assert fresh and dropped == 0
    assert keys(window) == topic.ids()
    assert window.loaded_label() == "250 loaded"


def test_a_page_repeating_rows_already_shown_adds_only_the_new_ones():
    topic = topic_of(150)
    window = opened(topic, Window())
    cursor = {"limit": PAGE}  # the first page again
    fresh = window.add_page(cursor, topic.list_page(cursor))
    assert fresh == [] and keys(window) == topic.ids()[:PAGE]
    assert window.next_cursor is not None  # the same page's cursor: the second page follows


def test_past_the_window_whole_pages_are_dropped_above_down_to_max_minus_slack():
    topic = topic_of(1_000)
    window = opened(topic, Window(300, 100))
    for _ in range(2):
        page_down(topic, window)
    assert len(window.tasks) == 300 and not window.overfull
    fresh, dropped = page_down(topic, window, keep=topic.ids()[399])
    assert len(fresh) == PAGE and dropped == 2 * PAGE  # 400 rows, down to 200
    assert keys(window) == topic.ids()[200:400]
    assert window.has_above and window.deep and window.rows_above == 200 and window.loaded_rows == 400
    assert window.loaded_label() == "rows 201–400 of 400+ loaded"


def test_the_page_holding_the_selected_row_is_never_dropped():
    topic = topic_of(1_000)
    window = opened(topic, Window(300, 100))
    for _ in range(2):
        page_down(topic, window)
    first = topic.ids()[0]
    _fresh, dropped = page_down(topic, window, keep=first)
    assert dropped == 0 and first in window.tasks and len(window.tasks) == 400
    # Selected on the second page: the first page goes, the second stays (though over the room).
    _fresh, dropped = page_down(topic, window, keep=topic.ids()[150])
    assert dropped == PAGE and first not in window.tasks
    assert keys(window) == topic.ids()[100:500]


def test_dropped_pages_come_back_by_the_cursor_that_first_loaded_them():
    topic = topic_of(1_000)
    window = opened(topic, Window(300, 100))
    while window.next_cursor is not None:
        page_down(topic, window, keep=keys(window)[-1])
    assert window.loaded_rows == 1_000 and window.rows_above == 1_000 - len(window.tasks)
    assert window.loaded_label().endswith("of 1,000 loaded")  # the end: no "+"
    while window.has_above:
        before = window.rows_above
        result = page_up(topic, window, keep=keys(window)[0])
        assert result is not None
        fresh, _dropped_below = result
        assert window.rows_above == before - len(fresh)
        assert len(window.tasks) <= 300
        assert keys(window) == topic.ids()[window.rows_above: window.rows_above + len(window.tasks)]
        # The total stays the deepest row loaded, though the pages below were dropped.
        assert window.deepest_row == 1_000 and window.loaded_label().endswith(" of 1,000 loaded")
    assert keys(window) == topic.ids()[: len(window.tasks)]
    # The pages dropped below come back too, from where the window ends now.
    assert window.next_cursor is not None
    fresh, _dropped = page_down(topic, window, keep=keys(window)[-1])
    assert fresh and keys(window) == topic.ids()[window.rows_above: window.rows_above + len(window.tasks)]


def test_pages_added_above_drop_pages_below_but_not_the_selected_one():
    topic = topic_of(1_000)
    window = opened(topic, Window(300, 100))
    for _ in range(3):
        page_down(topic, window, keep=keys(window)[-1])
    assert window.rows_above == 200 and len(window.tasks) == 200
    for _ in range(2):
        page_down(topic, window, keep=keys(window)[-1])
    assert window.rows_above == 400 and len(window.tasks) == 200
    # Back up, the selection on the last row: the window may not drop its page.
    bottom = keys(window)[-1]
    result = page_up(topic, window, keep=bottom)
    assert result == (topic.ordered()[300:400], 0) and bottom in window.tasks
    result = page_up(topic, window, keep=bottom)
    assert result is not None
    fresh, dropped_below = result
    assert len(fresh) == PAGE and dropped_below == 0  # 400 rows would not fit, but the selection holds its page
    fresh, dropped_below = page_up(topic, window, keep=keys(window)[0]) or ([], -1)
    assert len(fresh) == PAGE and dropped_below == 2 * PAGE
    assert len(window.tasks) <= 300 and window.next_cursor is not None
    assert keys(window) == topic.ids()[window.rows_above: window.rows_above + len(window.tasks)]


def test_new_tasks_above_a_dropped_page_are_never_skipped():
    topic = topic_of(1_000)
    window = opened(topic, Window(300, 100))
    while not window.has_above:
        page_down(topic, window, keep=keys(window)[-1])
    deepest = window.loaded_rows
    topic.add([task(5_000 + i) for i in range(5)])  # newer than every task: they push the rows down
    while window.has_above:
        assert page_up(topic, window, keep=keys(window)[0]) is not None
    assert keys(window) == topic.ids()[: len(window.tasks)]  # the new tasks, and no gap below them
    assert window.deepest_row == deepest + 5
    assert window.loaded_label() == f"rows 1–{len(window.tasks)} of {deepest + 5:,}+ loaded"


def test_more_new_tasks_above_than_a_window_give_up():
    topic = topic_of(1_000)
    window = opened(topic, Window(300, 100))
    while not window.has_above:
        page_down(topic, window, keep=keys(window)[-1])
    topic.add([task(5_000 + i) for i in range(301)])
    results = []
    while window.has_above:
        result = page_up(topic, window, keep=keys(window)[0])
        results.append(result)
        if result is None:
            break
    assert results[-1] is None  # the screen then starts again from the top


def test_refetch_snapshots_the_window_when_it_starts():
    topic = topic_of(1_000)
    window = opened(topic, Window(300, 100))
    assert window.refetch_above() is None  # nothing dropped
    while not window.has_above:
        page_down(topic, window, keep=keys(window)[-1])
    refetch = window.refetch_above()
    assert refetch is not None
    assert refetch.start == topic.list_page({"limit": PAGE}).cursor  # the cursor that loaded the last page dropped
    assert refetch.boundary == window.tasks[keys(window)[0]].updated_at and refetch.limit == 300
    assert set(refetch.shown) == set(window.tasks)
    window.start_over()
    assert refetch.shown and window.refetch_above() is None  # a snapshot: not the live window


def test_start_over_forgets_everything_and_bumps_the_generation():
    topic = topic_of(1_000)
    window = opened(topic, Window(300, 100))
    while not window.has_above:
        page_down(topic, window, keep=keys(window)[-1])
    generation = window.generation
    window.start_over()
    assert window.generation == generation + 1
    assert window.tasks == {} and window.next_cursor is None and not window.has_above and not window.deep
    assert window.loaded_rows == 0 and window.deepest_row == 0 and window.loaded_label() == "0 loaded"


def test_live_refresh_reads_the_rows_shown_within_bounds():
    topic = topic_of(1_000)
    window = Window(1_000, 400, page_size=PAGE, live_rows=500)
    assert window.refresh_limit() == PAGE  # nothing shown yet: a page
    opened(topic, window)
    for _ in range(3):
        page_down(topic, window)
    assert window.refresh_limit() == 400 and not window.deep
    for _ in range(2):
        page_down(topic, window)
    assert len(window.tasks) == 600 and window.deep  # past the live rows: the list holds still
    assert window.refresh_limit() == 500


def test_a_refresh_from_the_top_keeps_one_chunk_for_the_rows_it_read():
    topic = topic_of(1_000)
    window = opened(topic, Window(300, 100))
    for _ in range(2):
        page_down(topic, window)
    page = topic.list_page({"limit": window.refresh_limit()})  # a live refresh: 300 rows in one call
    window.reset(page.data, dict(page.cursor) if page.cursor else None)
    assert keys(window) == topic.ids()[:300]
    _fresh, dropped = page_down(topic, window, keep=topic.ids()[350])
    # The 300 rows loaded as one chunk go as one: the window never splits a call's rows.
    assert dropped == 300 and window.rows_above == 300 and keys(window) == topic.ids()[300:400]
    result = page_up(topic, window, keep=keys(window)[0])
    assert result is not None and [t.task_id for t in result[0]] == topic.ids()[:300]
    assert topic.calls[-2] == {"limit": 300}  # fetched again by the cursor that loaded them


def test_a_refresh_from_the_top_counts_the_rows_that_came_above():
    window = Window(page_size=PAGE)
    first = [task(n) for n in range(20, 0, -1)]
    assert window.reset(first, None) == 0  # a first load: nothing to count from
    assert window.reset(first, None) == 0  # the same rows: none came
    moved = replace(task(3), updated_at=2_000_000)  # changed since: listed first now
    fresh = [task(n) for n in range(23, 20, -1)]
    assert window.reset([*fresh[:1], moved, *fresh[1:], *first[:17], *first[18:]], None) == 4
    assert window.reset([task(n) for n in range(50, 30, -1)], None) == 0  # no row as it was: no count



