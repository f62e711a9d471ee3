"""Rates over time in the console, on every backend: the topics screen's
Finished/h and Failed/h sparklines and the tasks screen's chart show what was
really written (counted by the store), move with the next refresh, and the
chart's keys (``c`` shows or hides it, remembered; ``C`` hour or day) work."""

from __future__ import annotations

import json

import pytest
from textual.widgets import DataTable

from sokka_tui.clock import system_clock
from sokka_tui.screens.help import HelpModal
from sokka_tui.screens.tasks import TasksScreen
from sokka_tui.screens.topics import TopicsScreen
from sokka_tui.sparklines import BARS
from sokka_tui.state import state_path
from sokka_tui.widgets.rates_chart import RatesChart
from tests.tui.conftest import SIZE, open_topic, settle
from tests.waiting import until

SMALL = (80, 24)


def work(store, topic: str, *, finished: int = 0, failed: int = 0, snoozed: int = 0, waiting: int = 1) -> None:
    """Tasks of ``topic`` really reserved and finished, failed or snoozed, and
    ``waiting`` left ``starting`` (the queue latency)."""
    count = finished + failed + snoozed
    store.create_tasks([{"topic": topic} for _ in range(count)])
    for n in range(count):
        task = store.reserve_task(topic, "worker-1")
        assert task is not None
        if n < finished:
            store.terminate(task.task_id, "worker-1")
        elif n < finished + failed:
            store.fail(task.task_id, "worker-1", "boom")
        else:
            store.snooze(task.task_id, "worker-1", 600_000)
    store.create_tasks([{"topic": topic} for _ in range(waiting)])


def cell(table: DataTable, key: str, heading: str) -> str:
    index = [column.label.plain.rstrip(" ▲▼") for column in table.ordered_columns].index(heading)
    return table.get_row(key)[index].plain


def total(text: str) -> str:
    return text.split()[-1]


def chart_lines(screen) -> list[str]:
    return [line.plain.rstrip() for line in screen.query_one(RatesChart).render().split("\n")]


def chart_line(screen, label: str) -> str:
    return next(line for line in chart_lines(screen) if line.startswith(label))


@pytest.fixture
def live_app(make_app):
    def make(store, **kwargs):
        return make_app(store, clock=system_clock, **kwargs)

    return make


async def test_the_topics_screen_shows_the_hours_finished_and_failed(make_store, live_app):
    store = make_store()
    work(store, "mail", finished=3, failed=2)
    work(store, "a-quiet", waiting=1)
    app = live_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.screen.query_one("#topics", DataTable)
        await until(pilot, lambda: "mail" in table.rows)
        finished, failed = cell(table, "mail", "Finished/h"), cell(table, "mail", "Failed/h")
        assert total(finished) == "3" and total(failed) == "2"
        assert set(finished[:-6].strip()) <= set(BARS) and finished[:-6].strip()  # bars drawn
        assert finished[:-6].rstrip() == finished[:-6]  # the newest bar at the right edge: this minute's
        assert cell(table, "a-quiet", "Finished/h").split() == ["0"]  # no bars: nothing finished
        work(store, "mail", finished=4, failed=1, waiting=0)
        await pilot.press("R")
        await settle(pilot)
        assert total(cell(table, "mail", "Finished/h")) == "7"
        assert total(cell(table, "mail", "Failed/h")) == "3"
        assert [key.value for key in table.rows] == ["a-quiet", "mail"]  # by name
        table.choose_sort("Failed/h")  # (S, or a click on the heading): the hour's failures, most first
        await pilot.pause()
        assert [key.value for key in table.rows] == ["mail", "a-quiet"]
        assert isinstance(app.screen, TopicsScreen)


async def test_the_tasks_screen_charts_the_topic_and_its_waits(make_store, live_app):
    store = make_store()
    work(store, "mail", finished=3, failed=2, snoozed=1, waiting=2)
    app = live_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_topic(pilot, "mail")
        chart = screen.query_one(RatesChart)
        assert chart.display  # 48 lines: shown until chosen otherwise
        await until(pilot, lambda: chart.chart is not None)
        title, created, finished, failed, snoozed, waiting, axis = chart_lines(screen)
        assert title.startswith("Rates of mail  per minute, the last hour")
        assert created.endswith("8 in the hour, peak 8/min") or "8 in the hour" in created
        assert "3 in the hour" in finished and "2 in the hour" in failed and "1 in the hour" in snoozed
        assert waiting.startswith("Waiting") and "not sampled yet" not in waiting
        assert "waits sampled since" in axis
        work(store, "mail", failed=2, waiting=0)
        await pilot.press("R")
        await settle(pilot)
        assert "4 in the hour" in chart_lines(screen)[3]
        await pilot.press("C")  # the day, by ten minutes
        await settle(pilot)
        await until(pilot, lambda: "the last day" in chart_lines(screen)[0])
        assert "4 in the day, peak" in chart_lines(screen)[3]
        assert chart_lines(screen)[-1].split()[:3] == ["-24h", "-12h", "now"]
        await pilot.press("C")
        await settle(pilot)
        await until(pilot, lambda: "the last hour" in chart_lines(screen)[0])
        await pilot.press("question_mark")  # help lists both keys
        await until(pilot, lambda: isinstance(app.screen, HelpModal))
        keys = {(key, text) for key, text, _on in app.screen.keys}
        assert {("c", "Chart"), ("C", "Chart: hour / day")} <= keys


async def test_c_hides_the_chart_everywhere_and_the_next_run_remembers(make_store, live_app):
    store = make_store()
    work(store, "mail", finished=1)
    app = live_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_topic(pilot, "mail")
        rows_with_chart = screen.table.size.height
        await pilot.press("c")
        await settle(pilot)
        assert not screen.query_one(RatesChart).display
        assert screen.table.size.height > rows_with_chart  # the list takes the room
    assert json.loads(state_path().read_text()) == {"rates_chart": False}
    again = live_app(store)
    async with again.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_topic(pilot, "mail")
        assert not screen.query_one(RatesChart).display
        await pilot.press("c")
        await settle(pilot)
        await until(pilot, lambda: screen.query_one(RatesChart).chart is not None)  # read at once
        assert "1 in the hour" in chart_line(screen, "Finished")


async def test_at_80x24_the_chart_waits_to_be_asked_and_the_list_keeps_rows(make_store, live_app):
    store = make_store()
    work(store, "mail", finished=2, waiting=30)
    app = live_app(store)
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        screen = await open_topic(pilot, "mail")
        assert not screen.query_one(RatesChart).display
        assert screen.query_one(RatesChart).chart is None  # not read while hidden
        await pilot.press("c")
        await settle(pilot)
        assert screen.query_one(RatesChart).display
        await until(pilot, lambda: screen.query_one(RatesChart).chart is not None)
        lines = chart_lines(screen)
        assert [line.split()[0] for line in lines] == ["Rates", "Finished", "Failed", "Waiting"]  # compact
        assert "2 in the hour" in chart_line(screen, "Finished")
        assert screen.table.size.height >= 5  # the header and 4 rows still in sight


async def test_a_group_list_has_no_chart(make_store, live_app):
    store = make_store()
    store.create_task({"task_id": "a", "topic": "mail", "task_group_id": "g"})
    app = live_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_topic(pilot, "mail")
        await pilot.press("g")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, TasksScreen) and screen.task_query.group == "g"
        assert not screen.query_one(RatesChart).display
        assert screen.check_action("toggle_chart", ()) is False
