"""Hostile task content on every backend: Rich markup, ANSI/OSC escapes, emoji,
quotes, slashes and spaces in every text field, a 1 MB payload and JSON nested
500 deep. The console shows it literally, runs nothing, sends no escape byte to
the terminal, keeps its columns, and shows the big task quickly."""

from __future__ import annotations

import random
import string
import time

import pytest
from rich.text import Text
from textual.widgets import DataTable

from sokka_tui.render import clean, truncate
from sokka_tui.screens.task_detail import TaskDetailScreen
from sokka_tui.screens.tasks import COLUMNS as TASK_COLUMNS
from sokka_tui.screens.topics import COLUMNS as TOPIC_COLUMNS
from sokka_tui.widgets.leased_panel import COLUMNS as LEASED_COLUMNS
from sokka_tui.widgets.leased_panel import LeasedPanel
from tests.tui.conftest import SIZE, open_topic, settle
from tests.tui.test_screens import static_text

#: One value per kind of trouble; each goes into every text field of a task.
HOSTILE = {
    "markup": "[bold red]x[/]",
    "link": "[link=https://evil.example/]click me[/link]",
    "click": "[@click=app.quit]quit[/]",
    "close": "oops [/] x",
    "osc-title": "\x1b]0;pwned\x07t",
    "osc-link": "\x1b]8;;https://evil.example\x1b\\here\x1b]8;;\x1b\\",
    "clear": "\x1b[2J\x1b[Hcls",
    "sgr": "\x1b[31mred\x1b[0m",
    "c1": "\x9b31m c1 \x9d",
    "bidi": "abc\u202edcba",
    "emoji": "🚀 ✓ 中文 e\u0301",
    "quotes": "quote'\"`",
    "slashes": "a/b\\c",
    "spaces": "with  space\ttab",
}
HOSTILE_TOPIC = "[bold]topic[/] \x1b]0;x\x07 🚀"
BIG_ID = "big [/] 🚀 \x1b[2J"


def _deep(levels: int) -> list:
    value: list = ["bottom [@click=app.quit]x[/]"]
    for _ in range(levels - 1):
        value = [value]
    return value


def _big_data() -> dict:
    rng = random.Random(7)  # incompressible-looking, and the same every run
    blob = "".join(rng.choice(string.ascii_letters + "[]/@=\x1b ") for _ in range(1_000_000))
    return {"blob": blob, "deep": _deep(500)}


def hostile_tasks() -> list[dict]:
    tasks = []
    for kind, value in HOSTILE.items():
        tasks.append({
            "task_id": f"{value} #{kind}",
            "topic": HOSTILE_TOPIC,
            "sub_topic": value,
            "task_group_id": f"{value} group",
            "task_description": value,
            "data": {"text": value, kind: [value, {value: value}]},
        })
    return tasks


def fill_hostile(store, *, big: bool = True) -> str:
    """Every hostile value in id, topic, sub-topic, group, description, data; then
    as an owner (pid) of a running task, as a failed task's error, and snoozed.
    Returns the id of the failed task."""
    store.create_tasks(hostile_tasks())
    kinds = list(HOSTILE)
    for kind in kinds[:6]:
        store.reserve_task(HOSTILE_TOPIC, HOSTILE[kind])  # pid: the hostile value
    failed = store.reserve_task(HOSTILE_TOPIC, "worker-1")
    store.fail(failed.task_id, "worker-1", "\n".join(HOSTILE.values()))
    snoozed = store.reserve_task(HOSTILE_TOPIC, "worker-2")
    store.snooze(snoozed.task_id, "worker-2", 600_000)
    if big:
        store.create_task({"task_id": BIG_ID, "topic": HOSTILE_TOPIC, "data": _big_data(),
                           "task_description": "1 MB and 500 deep"})
    return failed.task_id


@pytest.fixture
def hostile_store(make_store):
    store = make_store(lease_time_ms=600_000)
    fill_hostile(store)
    return store


def cells(table: DataTable) -> list[list[object]]:
    return [list(table.get_row_at(i)) for i in range(table.row_count)]


def assert_table_safe(table: DataTable, columns) -> None:
    """Fixed widths kept, one line a row, every cell a Text (never markup) without
    a control character."""
    assert [c.width for c in table.columns.values()] == [width for _, width in columns]
    assert all(row.height == 1 for row in table.rows.values())
    for row in cells(table):
        for cell in row:
            assert isinstance(cell, Text), repr(cell)
            assert clean(cell.plain) == cell.plain, repr(cell.plain)


def assert_no_escape_in_screen(app) -> None:
    """What the terminal would get: the rendered screen, as an SVG of its cells."""
    svg = app.export_screenshot()
    assert "\x1b" not in svg and "\x9b" not in svg and "\x07" not in svg




async def test_hostile_text_in_every_field_is_shown_literally(hostile_store, make_app):
    app = make_app(hostile_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        topics = app.screen.query_one("#topics", DataTable)
        assert [c.plain for c in topics.get_column_at(0)] == [clean(HOSTILE_TOPIC)]
        # (the topic column is as wide as the longest name: the hostile one, cut at a quarter of the screen)
        assert_table_safe(topics, [(h, app.screen.widths[h]) for h, _ in TOPIC_COLUMNS])  # (fitted to the screen)
        panel = app.screen.query_one(LeasedPanel)
        assert panel.table.row_count == 7  # 6 running with hostile owners + 1 snoozed
        assert_table_safe(panel.table, LEASED_COLUMNS)
        owners = {row[5].plain for row in cells(panel.table)}
        assert clean(HOSTILE["markup"]) in owners and clean(HOSTILE["click"]) in owners
        assert_no_escape_in_screen(app)

        screen = await open_topic(pilot, HOSTILE_TOPIC)
        assert_table_safe(screen.table, TASK_COLUMNS)
        shown_ids = {row[1].plain for row in cells(screen.table)}
        for kind, value in HOSTILE.items():
            expected = clean(f"{value} #{kind}")
            task_width = dict(TASK_COLUMNS)["Task"]
            assert truncate(expected, task_width, "middle") in shown_ids, kind  # long ids: cut in the middle
        assert clean(HOSTILE["markup"]) + " #markup" in shown_ids  # markup kept as text
        assert_no_escape_in_screen(app)
        svg = app.export_screenshot()
        assert "[bold" in svg and "[@click=app.quit]quit[/]" in svg  # literally on screen

        # Clicking the [@click=app.quit] cell runs nothing.
        screen.table.move_cursor(row=screen.table.get_row_index(f"{HOSTILE['click']} #click"))
        await pilot.pause()
        row = screen.table.cursor_row
        await pilot.click("#tasks", offset=(4, row + 1))
        await settle(pilot)
        assert app.is_running and app.screen is screen

        # Every task's detail: each field literal, no escape byte.
        for kind, value in HOSTILE.items():
            screen.table.move_cursor(row=screen.table.get_row_index(f"{value} #{kind}"))
            await pilot.press("enter")
            await settle(pilot)
            detail = app.screen
            assert isinstance(detail, TaskDetailScreen)
            fields = static_text(detail, "#fields")
            assert clean(f"{value} #{kind}") in fields.replace("\n", "") or kind in ("spaces",)
            assert "\x1b" not in fields and "\x9b" not in fields
            title = detail.query_one("#detail-title").content
            assert isinstance(title, Text) and clean(value) in title.plain
            data = static_text(detail, "#data")
            assert "\x1b" not in data and "\x07" not in data
            if detail.shown_task.error is not None:
                error = static_text(detail, "#error")
                assert clean(HOSTILE["click"]) in error and "\x1b" not in error
            await pilot.click("#fields", offset=(20, 0))  # where a [@click] would be
            await pilot.pause()
            assert app.is_running
            assert_no_escape_in_screen(app)
            await pilot.press("escape")
            await settle(pilot)
            assert app.screen is screen
        assert app.is_running


async def test_a_1mb_500_deep_task_shows_quickly_and_stays_responsive(hostile_store, make_app):
    app = make_app(hostile_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_topic(pilot, HOSTILE_TOPIC)
        screen.table.move_cursor(row=screen.table.get_row_index(BIG_ID))
        await pilot.pause()
        started = time.monotonic()
        await pilot.press("enter")
        await settle(pilot)
        shown_after = time.monotonic() - started
        detail = app.screen
        assert isinstance(detail, TaskDetailScreen) and detail.shown_task.task_id == BIG_ID
        data = static_text(detail, "#data")
        assert "more characters not shown" in data  # cut in the view, kept in the store
        assert "\x1b" not in data
        # Measured: about 1.4 s on a loaded 2-core machine (3 s before the data was
        # highlighted once instead of on every repaint).
        assert shown_after < 8, f"the detail took {shown_after:.1f} s"
        # Responsive: keys are handled while the big task is shown (end and home
        # include Textual's scroll animation).
        started = time.monotonic()
        for key in ("j", "k", "pagedown", "end", "home"):
            await pilot.press(key)
        await pilot.pause()
        keys_took = time.monotonic() - started
        assert keys_took < 8, f"five keys took {keys_took:.1f} s"
        # A refresh of the same task does not re-render the data (it never changes).
        started = time.monotonic()
        await pilot.press("R")
        await settle(pilot)
        assert time.monotonic() - started < 5
        started = time.monotonic()
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen and time.monotonic() - started < 3
        print(f"1 MB / 500-deep detail shown in {shown_after:.2f} s; five keys in {keys_took:.2f} s")


# -- snapshots: the hostile list and a hostile detail, frozen -------------------------
@pytest.fixture
def hostile_snap(snap_compare, frozen_store, make_app):
    failed_id = fill_hostile(frozen_store, big=False)

    def take(run_before):
        return snap_compare(make_app(frozen_store), terminal_size=SIZE, run_before=run_before)

    take.failed_id = failed_id
    return take


async def _steady_hostile(pilot, task_id: str | None = None) -> None:
    await settle(pilot)
    await open_topic(pilot, HOSTILE_TOPIC)
    if task_id is not None:
        table = pilot.app.screen.query_one("#tasks", DataTable)
        table.move_cursor(row=table.get_row_index(task_id))
        await pilot.pause()
        await pilot.press("enter")
    await settle(pilot)


def test_snapshot_hostile_task_list(hostile_snap):
    assert hostile_snap(_steady_hostile)


def test_snapshot_hostile_task_detail(hostile_snap):
    async def run_before(pilot):
        await _steady_hostile(pilot, hostile_snap.failed_id)  # the failed one: its error too

    assert hostile_snap(run_before)
