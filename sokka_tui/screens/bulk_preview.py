"""Before a bulk action: what it is, on how many, which statuses, a sample, and
how many the transition table will refuse (those are never sent: the confirm
button names how many will be). Over 100 tasks, the operator types the topic's
name (or, across topics, the count) to confirm."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from sokka_tui.actions import BUTTONS, VERBS, Action
from sokka_tui.marks import Marks
from sokka_tui.render import counted, format_duration, safe_text
from sokka_tui.widgets.dialog_button import DialogButton

TYPE_TO_CONFIRM_ABOVE = 100


class BulkPreviewModal(ModalScreen[bool]):
    """Returns True when the operator confirms."""

    BINDINGS = [
        Binding("y", "confirm", "Confirm", id="bulk.confirm"),
        Binding("escape", "cancel", "Cancel", id="bulk.cancel"),
    ]

    def __init__(
        self, action: Action, marks: Marks, *, snooze_ms: int | None = None, error: str | None = None,
        headline: Text | None = None,
    ):
        """``headline`` says what the action is on (``Revoke the lease of 3 tasks held
        by w-1:42``); by default, the marked tasks."""
        super().__init__()
        self.action = action
        self.marks = marks
        self.headline = headline or Text(f"{VERBS[action]} {counted(len(marks), 'marked task')}")
        #: The tasks the transition table lets through: only those are sent.
        self.sendable = len(marks) - marks.refused_by_table(action)
        self.snooze_ms = snooze_ms
        self.error = error
        topics = marks.topics()
        self.confirm_word = topics[0] if len(topics) == 1 else str(len(marks))

    @property
    def needs_typing(self) -> bool:
        return len(self.marks) > TYPE_TO_CONFIRM_ABOVE

    def compose(self) -> ComposeResult:
        count = len(self.marks)
        topics = self.marks.topics()
        head = Text.assemble((f"{VERBS[self.action]} {counted(count, 'task')}", "bold"), " in ")
        head.append_text(safe_text(", ".join(topics), "bold", max_length=80))
        if self.snooze_ms is not None:
            head.append(f" for {format_duration(self.snooze_ms)}")
        if self.error is not None:
            head.append(" with error ")
            head.append_text(safe_text(repr(self.error), max_length=80))
        statuses = Text("Statuses as seen: ")
        statuses.append(" · ".join(f"{status} {n:,}" for status, n in self.marks.statuses().most_common()))
        refused = count - self.sendable
        if not refused:
            allowed = "it" if count == 1 else f"all {count:,}"
            table = Text(f"The transition table allows {allowed}.")
        elif not self.sendable:
            table = Text("The transition table refuses every one of them: nothing to send.", style="bold yellow")
        else:
            table = Text(
                f"The transition table refuses {refused:,} of them: not sent, listed as refused. "
                f"{counted(self.sendable, 'task')} will be sent.",
                style="bold yellow",
            )
        sample = Text("Sample: ")
        sample.append_text(safe_text(", ".join(self.marks.sample()), max_length=150))
        if count > 5:
            sample.append(f" and {count - 5:,} more")
        with Vertical(classes="dialog"):
            yield Static(Text.assemble(self.headline, "?", style="bold"), classes="dialog-title")
            yield Static(head)
            yield Static(statuses)
            yield Static(table)
            yield Static(sample, classes="dialog-body")
            yield Static(Text("Each is written only if it is still at the version seen here; "
                              "the rest are skipped.", style="dim"))
            if self.needs_typing:
                prompt = Text("Type ")
                prompt.append_text(safe_text(self.confirm_word, "bold", max_length=60))
                prompt.append(" to confirm:")
                yield Static(prompt)
                yield Input(placeholder=self.confirm_word[:60], id="confirm-word")
            else:
                yield Static(Text("y to confirm, esc to cancel", style="dim"))
            yield Static("", id="reason", classes="reason")
            with Horizontal(classes="dialog-buttons"):
                yield DialogButton("Cancel", id="cancel")
                yield DialogButton(f"{BUTTONS[self.action]} {self.sendable:,}", id="confirm", variant="warning",
                                   disabled=not self.sendable)

    def on_mount(self) -> None:
        if self.needs_typing:
            self.query_one("#confirm-word", Input).focus()
        else:
            self.query_one("#cancel", Button).focus()

    def _confirm(self) -> None:
        if not self.sendable:
            nothing = "The transition table refuses every one: nothing is sent (esc to go back)."
            self.query_one("#reason", Static).update(Text(nothing, style="bold red"))
            return
        if self.needs_typing and self.query_one("#confirm-word", Input).value.strip() != self.confirm_word:
            reason = Text("That is not ")
            reason.append_text(safe_text(self.confirm_word, max_length=60))
            reason.append(": nothing is sent.")
            self.query_one("#reason", Static).update(Text.assemble(reason, style="bold red"))
            return
        self.dismiss(True)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._confirm()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "confirm":
            self._confirm()
        else:
            self.dismiss(False)

    def action_confirm(self) -> None:
        self._confirm()

    def action_cancel(self) -> None:
        self.dismiss(False)
