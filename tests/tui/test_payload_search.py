"""The task list's payload search (``/`` then ``data.PATH=VALUE`` or
``data.PATH~TEXT``): store calls streamed in a worker thread, the title saying
how far the search got, esc cancelling the calls still to come."""

from __future__ import annotations

from textual.widgets import Input

from sokka_tui.screens.tasks import TasksScreen
from sokka_tui.widgets.filter_line import FilterLine
from stores import TaskStatus
from tests.tui.conftest import SIZE, open_topic, settle
from tests.tui.test_screens import static_text
from tests.waiting import until


def keys(screen: TasksScreen) -> list[str]:
    return [key.value for key in screen.table.rows if key.value is not None]


async def type_filter(pilot, screen: TasksScreen, text: str) -> None:
    """The filter line's text at once, then enter (typed key by key, a pause would send a part)."""
    await pilot.press("slash")
    await until(pilot, lambda: screen.query(FilterLine))
    screen.query_one("#filter-input", Input).value = text
    await pilot.press("enter")


async def test_a_payload_word_searches_the_topic(frozen_store, make_app, monkeypatch):
    monkeypatch.setattr("sokka_tui.screens.tasks.SEARCH_SCAN_LIMIT", 5)  # 12 emails: three calls
    app = make_app(frozen_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_topic(pilot, "emails")
        await type_filter(pilot, screen, "data.to~user1")
        await until(pilot, lambda: screen.search is not None and screen.search.done)
        await settle(pilot)
        assert sorted(keys(screen)) == ["email-001", "email-010", "email-011", "email-012"]
        assert screen.search.examined == 12
        title = static_text(screen, "#title")
        assert "searched all 12, 4 found" in title
        assert "data.to~user1" in static_text(screen, "#filter-line")

        # Combined with a status word: the search reads that status's range.
        await type_filter(pilot, screen, "running data.to~user1")
        await until(pilot, lambda: screen.search is not None and screen.search.done)
        await settle(pilot)
        running = {t.task_id for t in frozen_store.list_tasks({"topic": "emails", "status": "running"}).data}
        assert set(keys(screen)) == {k for k in running if k in ("email-001", "email-010", "email-011", "email-012")}
        assert screen.task_query.status == TaskStatus.RUNNING
        assert f"searched all {len(running)}," in static_text(screen, "#title")

        # A bad word is refused in the line, nothing is sent.
        await pilot.press("slash")
        await until(pilot, lambda: screen.query(FilterLine))
        screen.query_one("#filter-input", Input).value = "data.to[0]=x"
        await pilot.pause()
        assert "array indexes are not supported" in static_text(screen, "#filter-hint")
        await pilot.press("escape")
        await settle(pilot)
        assert screen.task_query.data == () and len(keys(screen)) == 12


async def test_the_title_says_how_far_a_search_got_and_esc_cancels_it(frozen_store, make_app, monkeypatch):
    monkeypatch.setattr("sokka_tui.screens.tasks.SEARCH_SCAN_LIMIT", 4)
    app = make_app(frozen_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_topic(pilot, "emails")
        # The SQLite store serves one call at a time under its lock: taken as the
        # search starts (on the UI's thread, after the load that reads the
        # topic's count), its first call waits, as it would on a slow server.
        start = TasksScreen._start_search
        monkeypatch.setattr(
            TasksScreen, "_start_search", lambda self, total: (frozen_store._lock.acquire(), start(self, total)))
        try:
            await type_filter(pilot, screen, "data.to=nobody")
            await until(pilot, lambda: "examined 0 of 12, 0 found, still searching (esc cancels)"
                        in static_text(screen, "#title"))
            assert isinstance(app.screen, TasksScreen)
            await pilot.press("escape")  # cancels the calls to come; the screen stays
            await pilot.pause()
        finally:
            monkeypatch.setattr(TasksScreen, "_start_search", start)
            frozen_store._lock.release()
        await until(pilot, lambda: screen.search is not None and not screen.search.running)
        await settle(pilot)
        assert app.screen is screen
        assert screen.search.examined == 4 and screen.search.cancelled  # the call under way finished, no other
        assert "examined 4 of 12, 0 found, cancelled (R searches again)" in static_text(screen, "#title")
        await pilot.press("R")  # searches again, to the end
        await until(pilot, lambda: screen.search is not None and screen.search.done)
        await settle(pilot)
        assert "searched all 12, 0 found" in static_text(screen, "#title")
        await pilot.press("escape")  # nothing to cancel: back to the topics
        await settle(pilot)
        assert not isinstance(app.screen, TasksScreen)


async def test_a_search_loads_more_matches_as_the_cursor_goes_down(tmp_path, make_app, monkeypatch):
    from stores.base import StoreOptions
    from stores.sqlite.store import SQLiteStore
    from tests.tui.dataset import SteppingClock

    monkeypatch.setattr("sokka_tui.screens.tasks.SEARCH_PAGE", 10)
    clock = SteppingClock()
    store = SQLiteStore.open(f"sqlite://{tmp_path}/many.db", StoreOptions(), clock=clock)
    for i in range(60):
        store.create_task({"task_id": f"t-{i:03d}", "topic": "many", "data": {"even": i % 2 == 0}})
        clock.advance(1)
    app = make_app(store, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_topic(pilot, "many")
        await type_filter(pilot, screen, "data.even=true")
        await until(pilot, lambda: screen.search is not None and screen.search.found >= 10
                    and not screen.search.running)
        await settle(pilot)
        assert keys(screen)[:10] == [f"t-{i:03d}" for i in range(58, 38, -2)]
        assert "more below: go down to search on" in static_text(screen, "#title")
        await pilot.press("end")  # the last row: the search goes on
        await until(pilot, lambda: screen.search.done)
        await settle(pilot)
        assert keys(screen) == [f"t-{i:03d}" for i in range(58, -1, -2)]
        assert "searched all 60, 30 found" in static_text(screen, "#title")
    store.close()


def test_snapshot_of_a_finished_search(snap_compare, frozen_store, make_app, monkeypatch):
    """The list after a search read the topic in three calls: one match, the
    title saying it searched all of it, the filter line naming the condition."""
    monkeypatch.setattr("sokka_tui.screens.tasks.SEARCH_SCAN_LIMIT", 5)

    async def run_before(pilot):
        await settle(pilot)
        screen = await open_topic(pilot, "emails")
        await type_filter(pilot, screen, "data.to~user1@ data.template=welcome")
        await until(pilot, lambda: screen.search is not None and screen.search.done)
        await settle(pilot)

    assert snap_compare(make_app(frozen_store), terminal_size=SIZE, run_before=run_before)
