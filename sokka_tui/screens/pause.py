"""``p``: asks how long a topic is paused (empty: until resumed) and why."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from sokka_tui.durations import DurationError, format_hint, parse_duration
from sokka_tui.pauses import MAX_PAUSE_MS
from sokka_tui.render import safe_id
from sokka_tui.widgets.dialog_button import DialogButton
from stores.validation import MAX_PAUSE_REASON


@dataclass(frozen=True)
class PauseAnswer:
    """What the operator asked for: ``for_ms`` (``None``: until resumed) and the reason."""

    for_ms: int | None
    reason: str


class PauseModal(ModalScreen[PauseAnswer | None]):
    """Two inputs: the duration (empty: until resumed) and the reason; OK and Cancel.
    ``enter`` in the duration goes to the reason; in the reason, it answers."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="pause.cancel")]

    def __init__(self, topic: str) -> None:
        super().__init__()
        self.topic = topic

    def compose(self) -> ComposeResult:
        title = Text("Pause topic ", style="bold")
        title.append_text(safe_id(self.topic, 60, "bold"))
        body = Text(
            "No worker reserves its tasks until the pause ends; running tasks keep their leases "
            "and may finish; new tasks may still be created."
        )
        with Vertical(classes="dialog"):
            yield Static(title, classes="dialog-title")
            yield Static(body, classes="dialog-body")
            yield Input(placeholder="for how long: 10m, 2h, 1h30m (empty: until resumed with P)", id="duration")
            yield Static(Text("until resumed with P", style="dim"), id="reason-duration", classes="reason")
            yield Input(placeholder="why (other operators see it; kept in the audit trail)", id="why",
                        max_length=MAX_PAUSE_REASON)
            yield Static("", id="reason", classes="reason")
            with Horizontal(classes="dialog-buttons"):
                yield DialogButton("Cancel", id="cancel")
                yield DialogButton("OK", id="ok", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#duration", Input).focus()

    def _duration(self) -> int | None:
        """The duration typed, ``None`` when empty; raises ``DurationError``."""
        text = self.query_one("#duration", Input).value
        return parse_duration(text, maximum_ms=MAX_PAUSE_MS) if text.strip() else None

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id != "duration":
            return
        hint = self.query_one("#reason-duration", Static)
        try:
            ms = self._duration()
        except DurationError as exc:
            hint.update(Text(str(exc), style="red"))
            return
        hint.update(Text("until resumed with P" if ms is None else format_hint(ms), style="dim"))

    def _submit(self) -> None:
        try:
            ms = self._duration()
        except DurationError as exc:
            self.query_one("#reason-duration", Static).update(Text(str(exc), style="bold red"))
            self.query_one("#duration", Input).focus()
            return
        self.dismiss(PauseAnswer(ms, self.query_one("#why", Input).value.strip()))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "duration":
            self.query_one("#why", Input).focus()
        else:
            self._submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "ok":
            self._submit()
        else:
            self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)
