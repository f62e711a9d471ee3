"""Modals that ask one value: a snooze duration, an error text, a task id."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from sokka_tui.durations import DurationError, format_hint, parse_duration
from sokka_tui.render import safe_text
from sokka_tui.widgets.dialog_button import DialogButton
from stores import InvalidArgument, Task
from stores.validation import check_task_id


def task_line(task: Task) -> Text:
    """``task 'id' (status, v3) in topic``: who the question is about."""
    text = Text("task ")
    text.append_text(safe_text(task.task_id, "bold", max_length=60))
    text.append(f" ({task.status}, v{task.record_ver}) in ")
    text.append_text(safe_text(task.topic, "bold", max_length=40))
    return text


class _PromptModal(ModalScreen):
    """One input, a reason line when the value is refused, OK and Cancel."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="prompt.cancel")]
    TITLE_TEXT = ""
    PLACEHOLDER = ""

    def __init__(self, subject: Text, value: str = "") -> None:
        """``subject`` names what the answer is for: ``task_line(task)``, or a marked set."""
        super().__init__()
        self.subject = subject
        self.initial = value

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Text(self.TITLE_TEXT, style="bold"), classes="dialog-title")
            yield Static(self.subject, classes="dialog-body")
            yield Input(value=self.initial, placeholder=self.PLACEHOLDER, id="value")
            yield Static("", id="reason", classes="reason")
            with Horizontal(classes="dialog-buttons"):
                yield DialogButton("Cancel", id="cancel")
                yield DialogButton("OK", id="ok", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#value", Input).focus()

    def check(self, value: str):
        """The value to return, or raise ``ValueError`` with the reason to show."""
        raise NotImplementedError

    def _submit(self) -> None:
        value = self.query_one("#value", Input).value
        try:
            result = self.check(value)
        except ValueError as exc:
            self.query_one("#reason", Static).update(Text(str(exc), style="bold red"))
            return
        self.dismiss(result)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "ok":
            self._submit()
        else:
            self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class SnoozeModal(_PromptModal):
    """Asks how long to snooze: ``30s``, ``5m``, ``2h``, ``1h30m``. Returns ms or ``None``."""

    TITLE_TEXT = "Snooze for how long?"
    PLACEHOLDER = "e.g. 30s, 5m, 2h, 1h30m"

    def check(self, value: str) -> int:
        try:
            return parse_duration(value)
        except DurationError as exc:
            raise ValueError(str(exc)) from None

    def on_input_changed(self, event: Input.Changed) -> None:
        reason = self.query_one("#reason", Static)
        if not event.value.strip():
            reason.update("")
            return
        try:
            reason.update(Text(format_hint(parse_duration(event.value)), style="dim"))
        except DurationError as exc:
            reason.update(Text(str(exc), style="red"))


class FailModal(_PromptModal):
    """Asks the error text to record. Returns the text or ``None``."""

    TITLE_TEXT = "Fail with which error?"
    PLACEHOLDER = "why the task is failed"
    MAX_LENGTH = 10_000

    def check(self, value: str) -> str:
        if not value.strip():
            raise ValueError("Say why: the error text is what the next person will read.")
        if len(value) > self.MAX_LENGTH:
            raise ValueError(f"At most {self.MAX_LENGTH} characters.")
        return value


class TaskIdModal(_PromptModal):
    """Asks a task id to filter by; empty means every task. Returns the id, ``""`` or ``None``."""

    TITLE_TEXT = "Show the records of which task?"
    PLACEHOLDER = "a task id (empty: every task)"

    def check(self, value: str) -> str:
        if not value.strip():
            return ""
        try:
            return check_task_id(value)
        except InvalidArgument as exc:
            raise ValueError(str(exc)) from None
