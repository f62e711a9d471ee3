"""``?``: every key of the screen underneath, with what it does."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

#: The tables' own paging keys, on every screen. A screen lists keys of its own
#: that move the cursor in ``HELP_MOVE_KEYS`` ((key, description) pairs).
PAGE_KEYS = (("pgup / pgdn", "Move a page"),)


class HelpModal(ModalScreen[None]):
    """Lists (key, description, available?) rows gathered from the screen's bindings."""

    BINDINGS = [Binding("escape,question_mark,q", "close", "Close", id="help.close")]

    def __init__(self, screen_title: str, keys: list[tuple[str, str, bool]]) -> None:
        super().__init__()
        self.screen_title = screen_title
        try:
            underneath = self.app.screen
        except Exception:  # (built outside a running app)
            underneath = None
        moves = [(key, text, True) for key, text in (*PAGE_KEYS, *getattr(underneath, "HELP_MOVE_KEYS", ()))]
        after = next((i + 1 for i, (_key, text, _on) in enumerate(keys) if text == "Move"), len(keys))
        self.keys = [*keys[:after], *moves, *keys[after:]]

    def compose(self) -> ComposeResult:
        table = Table(box=None, show_header=False, padding=(0, 2))
        table.add_column(style="bold cyan", no_wrap=True)
        table.add_column()
        for key, description, enabled in self.keys:
            table.add_row(key, Text(description, style="" if enabled else "dim"))
        with Vertical(classes="dialog help"):
            yield Static(Text(f"Keys — {self.screen_title}", style="bold"), classes="dialog-title")
            with VerticalScroll():
                yield Static(table)
            yield Static(Text("Dimmed keys do nothing here right now. esc closes.", style="dim"))

    def action_close(self) -> None:
        self.dismiss(None)
