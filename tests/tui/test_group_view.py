"""The group view spans topics, so it shows each task's topic."""

from __future__ import annotations

from sokka_tui.screens.tasks import TasksScreen
from tests.tui.conftest import SIZE, open_topic, settle


async def test_group_view_has_a_topic_column(frozen_store, make_app):
    app = make_app(frozen_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        tasks = await open_topic(pilot, "emails")
        headings = [str(column.label) for column in tasks.table.ordered_columns]
        assert "Topic" not in headings  # one topic: its name is in the title
        tasks.table.move_cursor(row=tasks.table.get_row_index("email-002"))  # group order-42
        await pilot.pause()
        await pilot.press("g")
        await settle(pilot)
        group = app.screen
        assert isinstance(group, TasksScreen) and group.task_query.group == "order-42"
        headings = [str(column.label) for column in group.table.ordered_columns]
        assert "Topic" in headings
        topic = headings.index("Topic")
        shown = {str(group.table.get_row(key)[topic]) for key in group.tasks}
        assert shown == {"emails", "billing.invoices"}
        assert str(group.table.get_row("invoice-001")[topic]) == "billing.invoices"
