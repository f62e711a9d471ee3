"""The command palette lists the commands of the screen it was opened on (not
its own), runs them on that screen, and opens with ``:`` and ``ctrl+p``."""

from __future__ import annotations

import pytest
from textual.command import Command, CommandList, CommandPalette

from sokka_tui.screens.filter import FilterModal
from sokka_tui.screens.tasks import TasksScreen
from sokka_tui.screens.topics import TopicsScreen
from tests.tui.conftest import SIZE, open_topic, settle
from tests.waiting import until


def _hits(palette: CommandPalette) -> list[str]:
    commands = palette.query_one(CommandList)
    return [
        str(option.hit.text) for option in commands._options if isinstance(option, Command)
    ]


async def _search(pilot, text: str) -> list[str]:
    palette = pilot.app.screen
    assert isinstance(palette, CommandPalette)
    await pilot.press(*text)
    await until(pilot, lambda: bool(_hits(palette)))
    return _hits(palette)


async def test_palette_lists_and_runs_the_screens_commands(frozen_store, make_app):
    app = make_app(frozen_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        tasks = await open_topic(pilot, "emails")
        tasks.table.move_cursor(row=tasks.table.get_row_index("email-001"))  # running: revoke applies
        await pilot.pause()
        await pilot.press("colon")
        await pilot.pause()
        assert "Revoke" in await _search(pilot, "revoke")
        for _ in "revoke":
            await pilot.press("backspace")
        assert "Filter form" in await _search(pilot, "filter form")
        await pilot.press("enter")  # the first hit: Filter form, run on the task list
        await until(pilot, lambda: isinstance(app.screen, FilterModal))
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is tasks


@pytest.mark.parametrize("where", ["topics", "tasks"])
async def test_ctrl_p_opens_the_palette(frozen_store, make_app, where):
    app = make_app(frozen_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        if where == "tasks":
            await open_topic(pilot, "emails")
        screen = app.screen
        assert isinstance(screen, TasksScreen if where == "tasks" else TopicsScreen)
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert isinstance(app.screen, CommandPalette)
        assert "Owners" in await _search(pilot, "owner")
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen
