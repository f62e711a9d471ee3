"""The way to the first screen does no work twice: one load, and a footer that is
rebuilt only when the keys it shows change (but then always)."""

from __future__ import annotations

from textual.widgets import Footer as TextualFooter
from textual.widgets._footer import FooterKey

from sokka_tui.messages import DataLoaded
from sokka_tui.widgets.footer import Footer
from tests.tui.conftest import SIZE, open_topic, settle


async def test_first_screen_loads_once(frozen_store, make_app):
    loads: list[DataLoaded] = []
    app = make_app(frozen_store)

    def hook(message) -> None:  # it sees a message more than once (posted, then handled)
        if isinstance(message, DataLoaded) and not any(seen is message for seen in loads):
            loads.append(message)

    async with app.run_test(size=SIZE, message_hook=hook) as pilot:
        await settle(pilot)
        assert len(loads) == 1 and app.screen.stats  # shown, from one load
        await pilot.press("R")
        await settle(pilot)
        assert len(loads) == 2


def footer_keys(screen) -> dict[str, bool]:
    """The footer's keys as shown: action -> enabled (a disabled key is drawn dimmed)."""
    return {key.action: not key.has_class("-disabled") for key in screen.query_one(Footer).query(FooterKey)}


async def test_footer_rebuilds_only_when_its_keys_change(frozen_store, make_app, monkeypatch):
    composed = []
    compose = TextualFooter.compose

    def counting(self):
        composed.append(self)
        return compose(self)

    monkeypatch.setattr(TextualFooter, "compose", counting)
    app = make_app(frozen_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        before = len(composed)
        for _ in range(3):  # loads and cursor moves that change no key
            await pilot.press("R")
            await settle(pilot)
        assert len(composed) == before
        screen = await open_topic(pilot, "emails")
        # Move over tasks whose actions differ: the footer follows, every time.
        changes = 0
        shown = footer_keys(screen)
        for row in range(screen.table.row_count):
            screen.table.move_cursor(row=row)
            await settle(pilot, 1)
            task = screen.current_task()
            keys = footer_keys(screen)
            expected = {action: screen.check_action(action, ()) is True for action in keys}
            assert keys == expected, task
            changes += keys != shown
            shown = keys
        assert changes >= 2  # the dataset has tasks that allow different actions
