"""Telling the operator that nothing was written because the task changed."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from sokka_tui.actions import VERBS, Request, changes
from sokka_tui.render import absolute, safe_text
from sokka_tui.screens.prompt import task_line
from sokka_tui.timezones import UTC, Zone
from stores import Task

#: What the dialog holds in a line (app.tcss: ``.dialog`` is 84 wide, less its border and padding).
_DIALOG_CELLS = 78


def moment_width(zone: Zone = UTC) -> int:
    """Cells an absolute time takes: ``2026-11-18 11:06:40.123 UTC``, or ``... +01:00``."""
    return len(absolute(0, zone))


class ChangedModal(ModalScreen[None]):
    """What the operator saw, what the task is now, and that nothing was written."""

    BINDINGS = [Binding("escape,enter,o", "close", "OK", id="changed.close")]

    def __init__(self, request: Request, now: Task | None, reason: str, zone: Zone = UTC) -> None:
        super().__init__()
        self.request = request
        self.now = now
        self.reason = reason
        self.zone = zone

    def compose(self) -> ComposeResult:
        seen = self.request.seen
        head = Text.assemble(("Nothing was written. ", "bold"), f"{VERBS[self.request.action]} ")
        head.append_text(task_line(seen))
        head.append(" was refused: ")
        head.append_text(safe_text(self.reason, max_length=300))
        # Sized so a time is never cut before "UTC" (or its offset): the dialog's 78
        # cells hold the longest field name and two whole times, one cell apart; the
        # table's outer padding goes when times with offsets need its 2 cells.
        width = moment_width(self.zone)
        edges = len("lease_expires_at") + 2 * width + 2 + 2 <= _DIALOG_CELLS
        table = Table(box=None, show_header=True, header_style="bold", padding=(0, 1), collapse_padding=True,
                      pad_edge=edges)
        table.add_column("field", no_wrap=True)
        table.add_column("you saw", min_width=width, overflow="fold")
        table.add_column("now", min_width=width, overflow="fold")
        for name, before, after in changes(seen, self.now):
            if name in ("lease_expires_at", "updated_at"):
                before, after = _moment(before, self.zone), _moment(after, self.zone)
            table.add_row(name, _value(before, width), _value(after, width))
        with Vertical(classes="dialog"):
            yield Static(Text("Task changed meanwhile", style="bold red"), classes="dialog-title")
            yield Static(head, classes="dialog-body")
            yield Static(table, id="changes")
            yield Static(Text("The view now shows the task as it is. Act again if you still want to.", style="dim"))
            yield Button("OK", id="ok", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#ok", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(None)

    def action_close(self) -> None:
        self.dismiss(None)


def _value(value: object, width: int) -> Text:
    """A field's value as seen or now: ``—`` when it has none (no owner, no error)."""
    if value is None or value == "":
        return Text("—", style="dim")
    return safe_text(value, max_length=width * 2)


def _moment(at_ms: object, zone: Zone) -> str:
    """A time field of a task (epoch ms, or ``None``) as ``absolute`` shows it."""
    return absolute(at_ms if isinstance(at_ms, int) else None, zone)
