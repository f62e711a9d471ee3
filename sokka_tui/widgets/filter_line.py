"""``/``: the filter line at the bottom of a screen (as in k9s). It narrows the
table as you type; enter keeps the filter, esc clears it, ctrl+f opens the
screen's full filter form where it has one. The screen decides what the text
means (``ConsoleScreen.filter_typed``): text in the rows, or a query to the store.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Input, Static


class FilterInput(Input):
    """The line's input: enter, esc and ctrl+f end it (ctrl+f: the form)."""

    BINDINGS = [
        Binding("escape", "clear_filter", "Clear filter", show=False, id="filter_line.clear"),
        Binding("ctrl+f", "open_form", "Filter form", show=False, id="filter_line.form"),
    ]

    def on_mount(self) -> None:
        self.focus()

    def action_clear_filter(self) -> None:
        self.post_message(FilterLine.Closed(keep=False))

    def action_open_form(self) -> None:
        self.post_message(FilterLine.Closed(keep=True, form=True))


class FilterLine(Horizontal):
    """``/`` and an input; a hint (or why the text is refused) after it."""

    DEFAULT_CSS = """
    FilterLine { height: 1; background: $boost; }
    FilterLine > .filter-prompt { width: 2; padding: 0 0 0 1; color: $accent; text-style: bold; }
    FilterLine > Input { border: none; height: 1; width: 1fr; padding: 0; background: $boost; }
    FilterLine > Input:focus { border: none; }
    FilterLine > .filter-hint { width: auto; max-width: 70%; padding: 0 1; color: $text-muted; }
    """

    class Closed(Message):
        """enter (``keep``), esc (not ``keep``), or ctrl+f (``form``: keep, then the form)."""

        def __init__(self, keep: bool, form: bool = False) -> None:
            super().__init__()
            self.keep = keep
            self.form = form

    def __init__(self, value: str, hint: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.value = value
        self.hint = hint

    def compose(self) -> ComposeResult:
        yield Static("/", classes="filter-prompt")
        yield FilterInput(value=self.value, id="filter-input", select_on_focus=False)
        yield Static(Text(self.hint), id="filter-hint", classes="filter-hint")

    @property
    def input(self) -> FilterInput:
        return self.query_one(FilterInput)

    def say(self, reason: str | None) -> None:
        """Why the text is refused (``None``: the usual hint)."""
        hint = self.query_one("#filter-hint", Static)
        hint.update(Text(reason, style="bold red") if reason else Text(self.hint))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.post_message(self.Closed(keep=True))
