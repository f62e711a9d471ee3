"""Which actions the transition table allows for a task, and why not: the line
under the task list and the block on the task screen."""

from __future__ import annotations

from rich.text import Text

from sokka_tui.actions import Action, refusal

#: How an action is named in the hints (a re-run is not a status word).
_NAMES = {Action.RERUN: "re-run"}
from stores import Task


def action_hints(task: Task | None, read_only: bool, *, detailed: bool) -> Text:
    """``detailed``: one line per action with its reason; else one line, first reason only."""
    text = Text()
    if task is None:
        return Text("No task selected.", style="dim") if not detailed else text
    if read_only:
        return Text("Read-only: actions are off.", style="dim")
    reasons = {action: refusal(action, task) for action in Action}
    if detailed:
        text.append("Actions", style="bold")
        for action, reason in reasons.items():
            text.append(f"\n  {_NAMES.get(action, action):<10}", style="bold" if reason is None else "dim")
            text.append("available" if reason is None else reason, style="green" if reason is None else "dim")
        return text
    text.append("Actions: ", style="dim")
    if reasons[Action.RERUN] is not None:
        del reasons[Action.RERUN]  # one line: a re-run is news only for a finished task
    for action, reason in reasons.items():
        text.append(f"{_NAMES.get(action, action)} ", style="bold" if reason is None else "dim strike")
    blocked = [reason for reason in reasons.values() if reason]
    if blocked:
        text.append(" — " + blocked[0], style="dim")
    return text
