"""``/``: filter the task list by status, sub-topic, time range, or an id/group."""

from __future__ import annotations

from dataclasses import replace

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static

from sokka_tui.query import TaskQuery, parse_moment
from sokka_tui.timezones import UTC, Zone
from stores import TASK_STATUSES, TaskStatus


class FilterModal(ModalScreen[TaskQuery | None]):
    """Edits a ``TaskQuery``; Clear removes every filter. Bad input is refused in place."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="filter.cancel")]

    def __init__(self, query: TaskQuery, now_ms: int, zone: Zone = UTC) -> None:
        super().__init__()
        self.query_before = query
        self.now_ms = now_ms
        #: Times typed here are read in the console's zone (``--tz``), and shown in it.
        self.zone = zone

    def compose(self) -> ComposeResult:
        q = self.query_before
        with Vertical(classes="dialog filter"):
            yield Static(Text("Filter tasks", style="bold"), classes="dialog-title")
            yield Label("Status")
            yield Select(
                [(str(s), str(s)) for s in TASK_STATUSES],
                value=str(q.status) if q.status else Select.NULL,
                prompt="any status",
                id="status",
            )
            yield Label("Sub-topic (exact)")
            yield Input(value=q.sub_topic or "", placeholder="any", id="sub_topic")
            yield Label(f"Updated since / until (15m, 2h ago, or {self.zone.short} 2026-11-29 08:00)")
            with Horizontal(classes="range"):
                yield Input(value=self._typed(q.from_ms), placeholder="since", id="since")
                yield Input(value=self._typed(q.to_ms), placeholder="until", id="until")
            yield Label("Task id or group id (exact)")
            yield Input(value=q.text or "", placeholder="any", id="text")
            yield Static("", id="reason", classes="reason")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Clear", id="clear")
                yield Button("Cancel", id="cancel")
                yield Button("Apply", id="apply", variant="primary")

    def _typed(self, at_ms: int | None) -> str:
        """A time as it would be typed: in the zone, to the second, no offset."""
        return self.zone.format(at_ms, millis=False, offset=False) if at_ms else ""

    def _value(self, widget_id: str) -> str | None:
        value = self.query_one(f"#{widget_id}", Input).value.strip()
        return value or None

    def _apply(self) -> None:
        status = self.query_one("#status", Select).value
        try:
            from_ms = parse_moment(self._value("since") or "", self.now_ms, self.zone)
            to_ms = parse_moment(self._value("until") or "", self.now_ms, self.zone)
            if from_ms is not None and to_ms is not None and from_ms > to_ms:
                raise ValueError("'since' is after 'until'.")
        except ValueError as exc:
            self.query_one("#reason", Static).update(Text(str(exc), style="bold red"))
            return
        self.dismiss(
            replace(
                self.query_before,
                status=TaskStatus(status) if isinstance(status, str) else None,  # (else Select.NULL: any)
                sub_topic=self._value("sub_topic"),
                from_ms=from_ms,
                to_ms=to_ms,
                text=self._value("text"),
            )
        )

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._apply()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "apply":
            self._apply()
        elif event.button.id == "clear":
            self.dismiss(self.query_before.cleared())
        else:
            self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)
