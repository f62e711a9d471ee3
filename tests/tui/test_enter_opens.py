"""``enter`` on a leased-panel row opens that task, on every screen with the
panel; ``enter`` on an owner opens the task list of that owner's leases."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable

from sokka_tui.screens.owners import OwnersScreen
from sokka_tui.screens.task_detail import TaskDetailScreen
from sokka_tui.screens.tasks import TasksScreen
from sokka_tui.widgets.leased_panel import LeasedPanel
from tests.tui.conftest import SIZE, open_topic, settle
from tests.waiting import until


async def _enter_on_leased(pilot, task_id: str) -> None:
    panel = pilot.app.screen.query_one(LeasedPanel)
    panel.table.focus()
    await pilot.pause()
    panel.table.move_cursor(row=panel.table.get_row_index(task_id))
    await pilot.pause()
    await pilot.press("enter")
    await settle(pilot)


@pytest.mark.parametrize("where", ["topics", "tasks", "owners"])
async def test_enter_on_a_leased_row_opens_the_task(frozen_store, make_app, where):
    app = make_app(frozen_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        if where == "tasks":
            await open_topic(pilot, "emails")
        elif where == "owners":
            await pilot.press("o")
            await settle(pilot)
            assert isinstance(app.screen, OwnersScreen)
        await _enter_on_leased(pilot, "email-004")
        screen = app.screen
        assert isinstance(screen, TaskDetailScreen)
        assert screen.task_id == "email-004"
        await pilot.press("escape")  # once: the detail opened once
        await settle(pilot)
        assert not isinstance(app.screen, TaskDetailScreen)


async def test_enter_on_an_owner_opens_its_leased_tasks(frozen_store, make_app):
    app = make_app(frozen_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("o")
        await settle(pilot)
        owners = app.screen
        assert isinstance(owners, OwnersScreen)
        table = owners.query_one("#owners", DataTable)
        table.move_cursor(row=table.get_row_index("worker-b2:5151"))
        await pilot.pause()
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, TasksScreen))
        await settle(pilot)
        tasks = app.screen
        assert isinstance(tasks, TasksScreen)
        assert tasks.task_query.owner == "worker-b2:5151"
        assert set(tasks.tasks) == {"email-002", "email-003"}
        assert {row.value for row in tasks.table.rows} == {"email-002", "email-003"}
        headings = [str(column.label) for column in tasks.table.ordered_columns]
        assert "Topic" in headings and "Owner" not in headings  # every topic's leases of one owner
        title = str(tasks.query_one("#title").render())
        assert "worker-b2:5151" in title
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is owners
