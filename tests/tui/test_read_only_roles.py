"""The console, read-only, through a server-side user that may only read: a
PostgreSQL role with SELECT on the namespace, a Redis ACL user with only read
commands. Every screen works; no action can start; nothing changes."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable

import stores
from sokka_tui.clock import system_clock
from sokka_tui.screens.filter import FilterModal
from sokka_tui.screens.owners import OwnersScreen
from sokka_tui.screens.task_detail import TaskDetailScreen
from sokka_tui.screens.tasks import TasksScreen
from sokka_tui.widgets.leased_panel import LeasedPanel
from sokka_tui.widgets.status_bar import StatusBar
from tests.server_users import read_only_url
from tests.tui.conftest import SIZE, settle
from tests.tui.dataset import fill

pytestmark = pytest.mark.parametrize("backend", ["postgres", "redis"])


def _everything(store) -> tuple:
    return list(stores.scroll(lambda c: store.list_tasks({}, c), {"limit": 100})), store.topics()


def _healthy(app) -> None:
    """The store answered every call: no outage, no error notification."""
    assert app.outage is None, app.outage
    errors = [n.message for n in app._notifications if n.severity == "error"]
    assert errors == []


async def test_every_screen_through_a_read_only_user(make_store, make_app):
    writer = make_store(lease_time_ms=60_000)
    fill(writer)
    before = _everything(writer)
    with read_only_url(_backend(writer), writer.namespace) as url, \
            stores.open_store(url, namespace=writer.namespace, read_only=True, timeout=5) as reader:
        app = make_app(reader, clock=system_clock)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            # Topics, with the leased panel.
            assert "READ-ONLY" in str(app.screen.query_one(StatusBar).render())
            topics = app.screen.query_one("#topics", DataTable)
            assert topics.row_count == 3
            panel = app.screen.query_one(LeasedPanel)
            assert panel.table.row_count == 5  # 4 running + 1 snoozed
            await pilot.press("l")
            await pilot.pause()
            assert not panel.display
            await pilot.press("l")
            await settle(pilot)
            assert panel.display and panel.table.row_count == 5
            _healthy(app)
            # Owners.
            await pilot.press("o")
            await settle(pilot)
            assert isinstance(app.screen, OwnersScreen)
            assert app.screen.query_one(DataTable).row_count >= 3
            await pilot.press("r")  # revoke-all-of-owner: refused in read-only
            await pilot.pause()
            assert isinstance(app.screen, OwnersScreen)
            _healthy(app)
            await pilot.press("escape")
            await settle(pilot)
            # Tasks of a topic, then a filter.
            topics.move_cursor(row=topics.get_row_index("emails"))
            await pilot.press("enter")
            await settle(pilot)
            screen = app.screen
            assert isinstance(screen, TasksScreen) and screen.table.row_count == 12
            await pilot.press("F")
            await pilot.pause()
            assert isinstance(app.screen, FilterModal)
            app.screen.query_one("#status").value = "running"
            await pilot.click("#apply")
            await settle(pilot)
            assert app.screen is screen
            assert screen.table.row_count == 3 and all(t.status == "running" for t in screen.tasks.values())
            _healthy(app)
            # No action starts, from the list or the detail.
            screen.table.move_cursor(row=screen.table.get_row_index("email-002"))
            await pilot.pause()
            for key in ("s", "f", "t", "r", "space", "asterisk"):
                await pilot.press(key)
                await pilot.pause()
                assert app.screen is screen, key
            await pilot.press("enter")
            await settle(pilot)
            detail = app.screen
            assert isinstance(detail, TaskDetailScreen) and detail.shown_task.task_id == "email-002"
            for key in ("s", "f", "t", "r"):
                await pilot.press(key)
                await pilot.pause()
                assert app.screen is detail, key
            await pilot.press("g")  # the group
            await settle(pilot)
            assert isinstance(app.screen, TasksScreen)
            _healthy(app)
            await pilot.press("escape")
            await settle(pilot)
            # The audit trail, where the console has one.
            if "audit" in {b.action for b in detail.BINDINGS}:
                await pilot.press("A")
                await settle(pilot)
                assert type(app.screen).__name__ == "AuditScreen"
                _healthy(app)
                await pilot.press("escape")
                await settle(pilot)
            # A refresh of everything still works.
            await pilot.press("R")
            await settle(pilot)
            _healthy(app)
    assert _everything(writer) == before


async def test_a_write_through_a_read_only_user_is_one_clean_error(make_store, make_app):
    """The store opened without read_only through that user finds the credentials
    may only read (read_only_reason), so the console opens read-only; told it may
    write anyway, it offers the action, the store refuses it, the operator reads
    one clean message (no '..'), nothing changes."""
    writer = make_store(lease_time_ms=60_000)
    fill(writer)
    before = _everything(writer)
    with read_only_url(_backend(writer), writer.namespace) as url, \
            stores.open_store(url, namespace=writer.namespace, timeout=5) as store:
        assert store.read_only and make_app(store).read_only
        app = make_app(store, clock=system_clock, read_only=False)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            topics = app.screen.query_one("#topics", DataTable)
            topics.move_cursor(row=topics.get_row_index("emails"))
            await pilot.press("enter")
            await settle(pilot)
            screen = app.screen
            screen.table.move_cursor(row=screen.table.get_row_index("email-010"))  # starting
            await pilot.pause()
            await pilot.press("t")
            await pilot.pause()
            await pilot.press("y")
            await settle(pilot)
            messages = [(n.title, n.message) for n in app._notifications if n.severity == "error"]
            assert len(messages) == 1, messages
            title, message = messages[0]
            assert title == "Read-only store" and "may only read" in message and "\n" not in message
            assert not message.endswith("..")
            assert app.is_running
    assert _everything(writer) == before


def _backend(store) -> str:
    return {"PostgresStore": "postgres", "RedisStore": "redis"}[type(store).__name__]
