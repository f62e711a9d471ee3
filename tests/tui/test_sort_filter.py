"""Sorting every table (``S`` picks a column, a click on a header sorts by it,
the same column again reverses), kept across refreshes with the cursor on its
row; the filter line (``/``) narrows a table as you type, or on the task list
queries the store; ``:topic NAME`` jumps to a topic from any screen."""

from __future__ import annotations

from textual.command import Command, CommandList, CommandPalette
from textual.widgets import DataTable, Input, OptionList

from sokka_tui.screens.filter import FilterModal
from sokka_tui.screens.sort_picker import DEFAULT, SortPickerModal
from sokka_tui.screens.tasks import TasksScreen
from sokka_tui.screens.topics import TopicsScreen
from sokka_tui.sorting import SortOrder
from sokka_tui.widgets.filter_line import FilterLine
from sokka_tui.widgets.leased_panel import LeasedPanel
from sokka_tui.widgets.tables import selected_key
from sokka_tui.widgets.view_table import ViewTable
from stores import TaskStatus
from tests.tui.conftest import SIZE, open_topic, settle
from tests.tui.dataset import HOSTILE_TOPIC, SteppingClock
from tests.tui.test_screens import static_text
from tests.waiting import until


def keys(table: DataTable) -> list[str]:
    return [key.value for key in table.rows if key.value is not None]


def labels(table: DataTable) -> list[str]:
    return [column.label.plain for column in table.ordered_columns]


async def pick(pilot, heading: str) -> None:
    """``S``, then the column headed ``heading`` (or ``DEFAULT``)."""
    await pilot.press("S")
    await until(pilot, lambda: isinstance(pilot.app.screen, SortPickerModal))
    options = pilot.app.screen.query_one(OptionList)
    options.highlighted = next(i for i in range(options.option_count) if options.get_option_at_index(i).id == heading)
    await pilot.press("enter")
    await until(pilot, lambda: not isinstance(pilot.app.screen, SortPickerModal))
    await pilot.pause()


async def test_sort_topics_by_a_count_reverse_keep_it_across_refreshes(frozen_store, make_app):
    app = make_app(frozen_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.screen.query_one("#topics", ViewTable)
        assert keys(table) == sorted(keys(table))  # by name, as the store lists them
        table.move_cursor(row=table.get_row_index("emails"))
        await pilot.pause()

        await pick(pilot, "Starting")  # a count: biggest first
        assert keys(table) == ["emails", "billing.invoices", HOSTILE_TOPIC]  # 5, 2, 1 starting
        assert "Startin▼" in labels(table)  # (the column is 8 wide: the mark takes the last letter's place)
        assert selected_key(table) == "emails"  # the cursor stayed on its row
        assert "sorted by Starting ▼" in static_text(app.screen, "#summary")

        await pick(pilot, "Starting")  # again: the other way
        assert keys(table) == [HOSTILE_TOPIC, "billing.invoices", "emails"]
        assert "Startin▲" in labels(table) and "Startin▼" not in labels(table)
        assert selected_key(table) == "emails"

        frozen_store.create_task({"task_id": "new-1", "topic": "aaa"})
        await pilot.press("R")  # a refresh keeps the order (and the new topic takes its place in it)
        await settle(pilot)
        # One starting task each: ties keep the store's order (by name; "[" sorts before "a").
        assert keys(table) == [HOSTILE_TOPIC, "aaa", "billing.invoices", "emails"]
        assert selected_key(table) == "emails"

        await pick(pilot, DEFAULT)
        assert keys(table) == sorted(keys(table))
        assert "Starting" in labels(table) and "sorted" not in static_text(app.screen, "#summary")


async def test_a_click_on_a_header_sorts_by_that_column(frozen_store, make_app):
    app = make_app(frozen_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.screen.query_one("#topics", ViewTable)
        # Each column takes its width and one cell of padding each side.
        before = labels(table)[: labels(table).index("Failed")]
        failed_x = sum(column.get_render_width(table) for column in table.ordered_columns[: len(before)]) + 2
        await pilot.click("#topics", offset=(failed_x, 0))
        await pilot.pause()
        assert table.order == SortOrder("Failed", descending=True)
        assert "Failed▼" in labels(table)
        await pilot.click("#topics", offset=(1, 0))  # Topic: A to Z, then Z to A
        await pilot.click("#topics", offset=(1, 0))
        await pilot.pause()
        assert table.order == SortOrder("Topic", descending=True)
        assert keys(table) == sorted(keys(table), reverse=True)


async def test_the_leased_panel_sorts_by_owner_and_filters_by_text(frozen_store, make_app):
    app = make_app(frozen_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        panel = app.screen.query_one(LeasedPanel)
        table = panel.table
        by_expiry = keys(table)
        expiries = [panel.tasks[k].lease_expires_at for k in by_expiry]
        assert expiries == sorted(expiries)  # soonest first by default
        table.focus()
        await pilot.pause()
        await pick(pilot, "Owner")
        owners = [panel.tasks[k].pid for k in keys(table)]
        assert owners[-1] is None  # the snoozed task has no owner: last
        assert owners[:-1] == sorted(owners[:-1])
        assert "sorted by Owner ▲" in static_text(panel, "#leased-title")
        assert "soonest first" not in static_text(panel, "#leased-title")

        await pilot.press("slash")
        await until(pilot, lambda: app.screen.query(FilterLine))
        await pilot.press(*"worker-b2")
        await pilot.pause()
        assert sorted(keys(table)) == ["email-002", "email-003"]
        assert "filter 'worker-b2': 2 of 5 rows" in static_text(panel, "#leased-title")
        await pilot.press("escape")  # clears it
        await pilot.pause()
        assert len(keys(table)) == 5 and not app.screen.query(FilterLine)
        assert table.has_focus


async def test_topics_filter_as_you_type_enter_keeps_esc_clears(frozen_store, make_app):
    app = make_app(frozen_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.screen.query_one("#topics", ViewTable)
        await pilot.press("slash")
        await until(pilot, lambda: app.screen.query(FilterLine))
        await pilot.press("b", "i")
        await pilot.pause()
        assert keys(table) == ["billing.invoices"]
        await pilot.press("backspace", "backspace", *"mail")
        await pilot.pause()
        assert keys(table) == ["emails"]
        await pilot.press("enter")  # kept: the line goes, the title says it
        await pilot.pause()
        assert not app.screen.query(FilterLine) and table.has_focus
        assert "filter 'mail': 1 of 3 rows" in static_text(app.screen, "#summary")
        await pilot.press("R")
        await settle(pilot)
        assert keys(table) == ["emails"]  # across refreshes
        await pilot.press("slash")
        await until(pilot, lambda: app.screen.query(FilterLine))
        assert app.screen.query_one("#filter-input", Input).value == "mail"
        await pilot.press("escape")
        await pilot.pause()
        assert len(keys(table)) == 3 and "filter" not in static_text(app.screen, "#summary")
        assert isinstance(app.screen, TopicsScreen)  # esc in the line does not leave the screen


async def test_the_task_list_filter_line_queries_the_store(frozen_store, make_app):
    app = make_app(frozen_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_topic(pilot, "emails")
        generation = screen.window.generation  # bumped each time the list starts again (a query)
        await pilot.press("slash")
        await until(pilot, lambda: screen.query(FilterLine))
        await pilot.press(*"running")
        # Typing pauses: one query, not one per key.
        await until(pilot, lambda: screen.task_query.status == TaskStatus.RUNNING)
        await settle(pilot)
        assert screen.window.generation == generation + 1
        assert sorted(keys(screen.table)) == ["email-001", "email-002", "email-003"]
        assert "status=running" in static_text(screen, "#filter-line")

        await pilot.press(*" sub:")  # incomplete: refused in the line, nothing sent
        await pilot.pause()
        assert "sub: needs a sub-topic name" in static_text(screen, "#filter-hint")
        await pilot.press(*"digest", "enter")  # enter: at once
        await settle(pilot)
        assert (screen.task_query.status, screen.task_query.sub_topic) == (TaskStatus.RUNNING, "digest")
        assert keys(screen.table) == ["email-003"]
        assert not screen.query(FilterLine)

        await pilot.press("slash")
        await until(pilot, lambda: screen.query(FilterLine))
        assert screen.query_one("#filter-input", Input).value == "running sub:digest"
        await pilot.press("escape")  # clears what the line says
        await settle(pilot)
        assert screen.task_query.status is None and screen.task_query.sub_topic is None
        assert len(keys(screen.table)) == 12


async def test_the_filter_form_from_F_and_from_the_line(frozen_store, make_app):
    app = make_app(frozen_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_topic(pilot, "emails")
        await pilot.press("F")
        await until(pilot, lambda: isinstance(app.screen, FilterModal))
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("slash")
        await until(pilot, lambda: screen.query(FilterLine))
        await pilot.press(*"failed", "ctrl+f")  # keeps the words, then the form (time ranges)
        await until(pilot, lambda: isinstance(app.screen, FilterModal))
        assert str(app.screen.query_one("#status").value) == "failed"
        await pilot.press("escape")
        await settle(pilot)
        assert screen.task_query.status == TaskStatus.FAILED and not screen.query(FilterLine)


async def test_task_list_sort_says_when_it_sorts_only_the_loaded_rows(tmp_path, make_app):
    from stores.base import StoreOptions
    from stores.sqlite.store import SQLiteStore

    clock = SteppingClock()
    store = SQLiteStore.open(f"sqlite://{tmp_path}/many.db", StoreOptions(), clock=clock)
    for i in range(150):
        store.create_task({"task_id": f"t-{i:03d}", "topic": "many", "sub_topic": f"s{i % 7}"})
        clock.advance(1)
    app = make_app(store, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_topic(pilot, "many")
        assert len(screen.tasks) == 100  # one page of the 150
        screen.table.move_cursor(row=screen.table.get_row_index("t-140"))
        await pick(pilot, "Sub-topic")
        subs = [screen.tasks[k].sub_topic for k in keys(screen.table)]
        assert subs == sorted(subs)
        assert selected_key(screen.table) == "t-140"
        title = static_text(screen, "#title")
        assert "sorted by Sub-topic ▲ (the loaded rows only)" in title and "newest first" not in title
        screen.load_next_page()  # the next page joins the sort
        await settle(pilot)
        subs = [screen.tasks[k].sub_topic for k in keys(screen.table)]
        assert len(subs) == 150 and subs == sorted(subs)
        assert "(the loaded rows only)" not in static_text(screen, "#title")  # every row is loaded now
    store.close()


async def test_the_stuck_starting_list_is_oldest_first(frozen_store, make_app, clock):
    app = make_app(frozen_store, stuck_after_ms=1_000)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_topic(pilot, "emails")
        await pilot.press("1")
        await settle(pilot)
        updated = [screen.tasks[k].updated_at for k in keys(screen.table)]
        assert len(updated) == 5 and updated == sorted(updated)
        assert "Updated ▲" in labels(screen.table)
        await pilot.press("1")  # off again: newest first, as the store lists them
        await settle(pilot)
        updated = [screen.tasks[k].updated_at for k in keys(screen.table)]
        assert updated == sorted(updated, reverse=True) and "Updated ▲" not in labels(screen.table)


async def test_owners_and_audit_sort_and_filter(frozen_store, make_app):
    app = make_app(frozen_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("o")
        await settle(pilot)
        owners = app.screen.query_one("#owners", ViewTable)
        await pick(pilot, "Owner")
        assert keys(owners) == sorted(keys(owners))
        await pilot.press("slash", *"d4", "enter")
        await pilot.pause()
        assert keys(owners) == ["worker-d4:7171"]
        assert "filter 'd4'" in static_text(app.screen, "#owners-title")
        await pilot.press("escape")
        await pilot.press("A")
        await settle(pilot)
        audit = app.screen.query_one("#audit", ViewTable)
        assert audit.row_count == 0  # the dataset was written through the protocol, not by an operator
        await pilot.press("S")
        await until(pilot, lambda: isinstance(app.screen, SortPickerModal))
        await pilot.press("escape")
        await pilot.pause()
        assert audit.order is None


async def test_colon_topic_jumps_to_a_topic_from_any_screen(frozen_store, make_app):
    app = make_app(frozen_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_topic(pilot, "emails")
        await pilot.press("enter")  # a task's detail
        await settle(pilot)
        await pilot.press("colon")
        await until(pilot, lambda: isinstance(app.screen, CommandPalette))
        await pilot.press(*"topic bill")
        hits = await until(pilot, lambda: [h for h in [*_sync_hits(app)] if h.startswith("topic ")])
        assert hits[0] == "topic billing.invoices"
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, TasksScreen) and app.screen.task_query.topic == "billing.invoices"
        # Just a name works too; a hostile name is shown as text, not markup.
        await pilot.press("colon")
        await until(pilot, lambda: isinstance(app.screen, CommandPalette))
        await pilot.press(*"hostile")
        await until(pilot, lambda: any(h.startswith("topic ") for h in _sync_hits(app)))
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, TasksScreen) and app.screen.task_query.topic == HOSTILE_TOPIC


def _sync_hits(app) -> list[str]:
    palette = app.screen
    if not isinstance(palette, CommandPalette):
        return []
    commands = palette.query_one(CommandList)
    return [str(option.hit.text) for option in commands._options if isinstance(option, Command)]


async def test_the_group_view_sorts_every_member(frozen_store, make_app):
    app = make_app(frozen_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_topic(pilot, "emails")
        screen.table.move_cursor(row=screen.table.get_row_index("email-002"))
        await pilot.press("g")
        await settle(pilot)
        group = app.screen
        assert isinstance(group, TasksScreen) and group.task_query.group == "order-42"
        await pick(pilot, "Topic")
        # billing.invoices before emails; the two emails in the list's order (newest first).
        assert keys(group.table) == ["invoice-001", "email-002", "email-005"]
        assert "Topic ▲" in labels(group.table)
        title = static_text(group, "#title")
        assert "sorted by Topic ▲" in title and "loaded rows only" not in title  # every member is loaded
