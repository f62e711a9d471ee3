"""``S``: pick the column to sort the current table by (the current one again
reverses it), or go back to the table's default order."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from sokka_tui.sorting import SortOrder

#: The option id of "the default order" (headings are the other ids).
DEFAULT = "\x00default"


class SortPickerModal(ModalScreen[str | None]):
    """Dismisses with a heading, ``DEFAULT``, or ``None`` (cancelled)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="sort.cancel")]

    def __init__(self, headings: list[str], order: SortOrder | None, default: str, *, what: str = "") -> None:
        """``default``: the table's order before any choice (``newest first``)."""
        super().__init__()
        self.headings = headings
        self.order = order
        self.default = default
        self.what = what

    def compose(self) -> ComposeResult:
        options = []
        for heading in self.headings:
            label = Text(heading)
            if self.order is not None and self.order.heading == heading:
                label.append(f" {self.order.mark}", style="bold")
                label.append("  (again: reverse)", style="dim")
            options.append(Option(label, id=heading))
        default = Text("Default order: ")
        default.append(self.default, style="italic")
        options.append(Option(default, id=DEFAULT))
        with Vertical(classes="dialog sort-picker"):
            yield Static(Text(f"Sort {self.what}by".replace("  ", " "), style="bold"), classes="dialog-title")
            yield OptionList(*options, id="sort-options")
            yield Static(Text("enter sorts · esc cancels · or click a column's header", style="dim"))

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        current = self.order.heading if self.order is not None else None
        options.highlighted = self.headings.index(current) if current in self.headings else 0
        options.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
