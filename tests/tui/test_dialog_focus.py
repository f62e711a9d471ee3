"""The focused button of a dialog (what enter presses) is unmistakable: an arrow
before its label, on the confirm, bulk preview and prompt dialogs; the focus
starts on Cancel wherever a stray enter must write nothing."""

from __future__ import annotations

from textual.widgets import Button

from sokka_tui.screens.bulk_preview import BulkPreviewModal
from sokka_tui.screens.confirm import ConfirmModal
from sokka_tui.screens.prompt import SnoozeModal
from sokka_tui.widgets.dialog_button import MARK
from tests.tui.conftest import SIZE, open_topic, settle
from tests.waiting import until


def labels(screen) -> dict[str, str]:
    return {button.id: str(button.label) for button in screen.query(Button)}


def marked(screen) -> list[str]:
    return [button_id for button_id, label in labels(screen).items() if label.startswith(MARK)]


async def test_the_focused_button_carries_the_arrow_and_it_moves_with_the_focus(frozen_store, make_app):
    app = make_app(frozen_store)
    async with app.run_test(size=SIZE) as pilot:
        tasks = await open_topic(pilot, "emails")
        tasks.table.move_cursor(row=tasks.table.get_row_index("email-002"))
        await pilot.press("t")
        await until(pilot, lambda: isinstance(app.screen, ConfirmModal))
        await settle(pilot)
        modal = app.screen
        assert marked(modal) == ["cancel"]
        assert labels(modal)["confirm"] == "  Terminate"  # same width either way: nothing shifts
        await pilot.press("tab")
        assert marked(modal) == ["confirm"] and labels(modal)["cancel"] == "  Cancel"
        await pilot.press("escape")
        await settle(pilot)

        await pilot.press("space", "space")  # two marked tasks
        await pilot.press("t")  # with marks, t terminates the marked tasks
        await until(pilot, lambda: isinstance(app.screen, BulkPreviewModal))
        await settle(pilot)
        assert marked(app.screen) == ["cancel"]
        await pilot.press("escape")
        await settle(pilot)

        tasks.table.move_cursor(row=tasks.table.get_row_index("email-002"))
        await pilot.press("s")
        await until(pilot, lambda: isinstance(app.screen, SnoozeModal))
        await settle(pilot)
        assert marked(app.screen) == []  # the focus is in the input
        await pilot.press("tab")
        assert marked(app.screen) == ["cancel"]
        await pilot.press("tab")
        assert marked(app.screen) == ["ok"]
