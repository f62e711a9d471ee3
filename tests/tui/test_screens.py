"""Pilot tests of every screen and key on a real SQLite store with a frozen clock."""

from __future__ import annotations

import os

from textual.widgets import DataTable, Input, Static

from sokka_tui.screens.help import HelpModal
from sokka_tui.screens.task_detail import TaskDetailScreen
from sokka_tui.screens.tasks import TasksScreen
from sokka_tui.screens.topics import TopicsScreen
from sokka_tui.widgets.leased_panel import LeasedPanel
from sokka_tui.widgets.status_bar import StatusBar
from tests.tui.conftest import SIZE, open_topic, settle
from tests.tui.dataset import HOSTILE_ID, HOSTILE_TOPIC


def cell_texts(table: DataTable, column: int = 0) -> list[str]:
    return [str(table.get_row_at(i)[column]) for i in range(table.row_count)]


def static_text(screen, selector: str) -> str:
    """What a ``Static`` shows, as plain text (tables and syntax rendered too)."""
    from rich.console import Console

    console = Console(width=200, record=True, color_system=None, file=open(os.devnull, "w"))  # noqa: SIM115
    console.print(screen.query_one(selector, Static).content)
    return console.export_text()




async def test_topics_screen(frozen_store, make_app):
    app = make_app(frozen_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, TopicsScreen)
        table = screen.query_one("#topics", DataTable)
        assert cell_texts(table) == ["[bold red]hostile[/] ␛]0;title␇", "billing.invoices", "emails"]
        emails = [str(c) for c in table.get_row("emails")]
        assert emails[1:7] == ["5", "3", "1", "1", "1", "2"]  # starting, running, stuck, snoozed, failed, terminated
        assert [cell.split()[-1] for cell in emails[7:9]] == ["2", "1"]  # finished and failed in the last hour
        assert emails[9] == "4"  # leased
        assert emails[10] == "1m 42s"  # the oldest starting task has waited that long
        summary = static_text(screen, "#summary")
        assert "1 stuck (lease expired)" in summary and "leases" not in summary
        assert "READ-ONLY" not in str(screen.query_one(StatusBar).render())


async def test_enter_opens_topic_and_esc_goes_back(frozen_store, make_app):
    app = make_app(frozen_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_topic(pilot, "emails")
        ids = cell_texts(screen.table, 1)
        assert len(ids) == 12 and set(ids) == {f"email-{i:03d}" for i in range(1, 13)}
        updated = [screen.tasks[i].updated_at for i in ids]
        assert updated == sorted(updated, reverse=True)
        assert "no filter" in static_text(screen, "#filter-line")
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, TopicsScreen)
        await pilot.press("escape")  # nothing behind the first screen: stays
        assert isinstance(app.screen, TopicsScreen)


async def test_task_detail_shows_everything(frozen_store, make_app):
    app = make_app(frozen_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_topic(pilot, "billing.invoices")
        screen.table.move_cursor(row=screen.table.get_row_index("invoice-001"))
        await pilot.press("enter")
        await settle(pilot)
        detail = app.screen
        assert isinstance(detail, TaskDetailScreen) and detail.shown_task.task_id == "invoice-001"
        fields = static_text(detail, "#fields")
        assert "failed" in fields and "2026-11-18 11:06:52.000 UTC" in fields and "30,000 ms" in fields
        assert "TypeError: unsupported operand type(s) for +: 'int' and 'NoneType'" in static_text(detail, "#error")
        data = static_text(detail, "#data")
        assert '"invoice": 1001' in data and '"amount": null' in data
        group = detail.query_one("#group", DataTable)
        assert sorted(cell_texts(group)) == ["email-002", "email-005"]
        assert "2 other tasks" in static_text(detail, "#group-title")
        actions = static_text(detail, "#task-actions")
        assert "failed is final; no action changes it." in actions


async def test_group_key_shows_the_group(frozen_store, make_app):
    app = make_app(frozen_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_topic(pilot, "emails")
        screen.table.move_cursor(row=screen.table.get_row_index("email-005"))
        await pilot.press("g")
        await settle(pilot)
        group = app.screen
        assert isinstance(group, TasksScreen) and group.task_query.group == "order-42"
        assert sorted(cell_texts(group.table, 1)) == ["email-002", "email-005", "invoice-001"]
        assert "Group order-42" in static_text(group, "#title")


async def test_filter_by_status_sub_topic_and_id(frozen_store, make_app):
    app = make_app(frozen_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_topic(pilot, "emails")
        await pilot.press("F")
        await pilot.pause()
        modal = app.screen
        modal.query_one("#status").value = "starting"
        modal.query_one("#sub_topic").value = "welcome"
        await pilot.click("#apply")
        await settle(pilot)
        assert app.screen is screen
        ids = cell_texts(screen.table, 1)
        assert ids and all(screen.tasks[i].status == "starting" and screen.tasks[i].sub_topic == "welcome" for i in ids)
        assert "status=starting, sub-topic='welcome'" in static_text(screen, "#filter-line")
        await pilot.press("F")
        await pilot.pause()
        await pilot.click("#clear")
        await settle(pilot)
        assert len(cell_texts(screen.table, 1)) == 12
        await pilot.press("F")
        await pilot.pause()
        app.screen.query_one("#text").value = "order-42"
        app.screen.query_one("#text").focus()
        await pilot.press("enter")  # submits from the input
        await settle(pilot)
        assert sorted(cell_texts(screen.table, 1)) == ["email-002", "email-005"]  # the group, within the topic


async def test_filter_refuses_bad_times(frozen_store, make_app):
    app = make_app(frozen_store)

    async def submit(since: str, until: str) -> None:
        modal = app.screen
        modal.query_one("#since", Input).value = since
        modal.query_one("#until", Input).value = until
        modal.query_one("#until", Input).focus()
        await pilot.press("enter")
        await settle(pilot)

    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_topic(pilot, "emails")
        await pilot.press("F")
        await pilot.pause()
        await submit("last tuesday", "")
        assert "Not a time" in static_text(app.screen, "#reason")
        await submit("10m", "20m")
        assert "'since' is after 'until'" in static_text(app.screen, "#reason")
        await submit("10m", "")
        assert app.screen is screen and "updated since 2026-11-18" in static_text(screen, "#filter-line")


async def test_keyset_pages_load_as_you_scroll(tmp_path, make_app, clock):
    from stores.base import StoreOptions
    from stores.sqlite.store import SQLiteStore

    store = SQLiteStore.open(f"sqlite://{tmp_path}/many.db", StoreOptions(), clock=clock)
    for batch in range(5):
        store.create_tasks([{"task_id": f"t{batch}-{i:03d}", "topic": "bulk"} for i in range(50)])
        clock.advance(1000)
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_topic(pilot, "bulk")
        assert screen.table.row_count == 100 and screen.page_cursor is not None
        for _ in range(3):
            await pilot.press("ctrl+end")
            await settle(pilot)
        assert screen.table.row_count == 250 and screen.page_cursor is None
        assert len(set(cell_texts(screen.table, 1))) == 250
        assert "250 loaded" in static_text(screen, "#title")
    store.close()


async def test_leased_panel_toggles_and_marks_stuck(frozen_store, make_app, clock):
    app = make_app(frozen_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        panel = app.screen.query_one(LeasedPanel)
        assert panel.display
        labels = [str(row[0]) for row in (panel.table.get_row_at(i) for i in range(panel.table.row_count))]
        assert labels[0] == "STUCK 32s ago" and labels[1] == "expires in 20s" and labels[-1] == "wakes in 8m 30s"
        assert "1 stuck" in str(panel.query_one("#leased-title", Static).render())
        clock.advance(5_000)
        panel.redraw()  # the countdown moves with the store clock, without a store call
        assert str(panel.table.get_row_at(1)[0]) == "expires in 15s"
        await pilot.press("l")
        await pilot.pause()
        assert not panel.display
        await pilot.press("l")
        await settle(pilot)
        assert panel.display


async def test_help_lists_the_screen_keys(frozen_store, make_app):
    app = make_app(frozen_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_topic(pilot, "emails")
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpModal)
        described = {description for _, description, _ in app.screen.keys}
        expected = {"Snooze", "Fail", "Terminate", "Revoke", "Filter", "Group", "Copy id", "Refresh", "Leased", "Quit"}
        assert expected <= described
        await pilot.press("escape")
        assert isinstance(app.screen, TasksScreen)


async def test_command_palette_opens(frozen_store, make_app):
    from textual.command import CommandPalette

    app = make_app(frozen_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("colon")
        await pilot.pause()
        assert isinstance(app.screen, CommandPalette)
        await pilot.press("escape")


async def test_j_k_move_and_y_copies(frozen_store, make_app):
    app = make_app(frozen_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_topic(pilot, "emails")
        first = screen.current_task().task_id
        await pilot.press("j")
        second = screen.current_task().task_id
        assert second != first
        await pilot.press("k")
        assert screen.current_task().task_id == first
        await pilot.press("y")
        assert app.clipboard == first


async def test_refresh_key_reloads(frozen_store, make_app):
    app = make_app(frozen_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        frozen_store.create_task({"topic": "late-arrival"})
        table = app.screen.query_one("#topics", DataTable)
        assert "late-arrival" not in cell_texts(table)
        await pilot.press("R")
        await settle(pilot)
        assert "late-arrival" in cell_texts(table)


async def test_quit(frozen_store, make_app):
    app = make_app(frozen_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0 or app.return_code is None


async def test_hostile_text_is_shown_literally(frozen_store, make_app):
    big = {"blob": "[bold]" * 200_000, "deep": None}
    nested: list = []
    for _ in range(500):
        nested = [nested]
    big["deep"] = nested
    frozen_store.create_task({"task_id": "big [/]", "topic": HOSTILE_TOPIC, "data": big,
                              "task_description": "\x9b31m c1 \u202e rtl"})
    app = make_app(frozen_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_topic(pilot, HOSTILE_TOPIC)
        ids = cell_texts(screen.table, 1)
        assert HOSTILE_ID in ids and "big [/]" in ids
        assert "␛]0;title␇" in static_text(screen, "#title")
        headings = [column.label.plain for column in screen.table.ordered_columns]
        descriptions = cell_texts(screen.table, headings.index("Description"))
        assert "[link=https:/…" in descriptions  # cut to fit, shown literally
        assert all("\x1b" not in d and "\x9b" not in d and "\u202e" not in d for d in descriptions)
        for task_id in (HOSTILE_ID, "big [/]"):
            screen.table.move_cursor(row=screen.table.get_row_index(task_id))
            await pilot.press("enter")
            await settle(pilot)
            detail = app.screen
            assert isinstance(detail, TaskDetailScreen)
            rendered = static_text(detail, "#fields") + static_text(detail, "#data")
            assert "\x1b" not in rendered
            await pilot.press("escape")
            await settle(pilot)
        assert app.is_running  # [@click=app.quit] did not quit anything
