"""Which actions the transition table allows for a task, and why not: the line
under the task list and the block on the task screen."""

from __future__ import annotations

from rich.text import Text

from sokka_tui.actions import Action, refusal
from stores import ALLOWED_TRANSITIONS, Task

#: How an action is named in the hints (a re-run is not a status word).
_NAMES = {Action.RERUN: "re-run"}


def action_hints(task: Task | None, read_only: bool, *, detailed: bool) -> Text:
    """``detailed``: the actions available, one a line, and the reasons the others
    are not, each reason once with the actions it stops (a final status: one line
    for all); else one line, first reason only."""
    text = Text()
    if task is None:
        return Text("No task selected.", style="dim") if not detailed else text
    if read_only:
        return Text("Read-only: actions are off.", style="dim")
    reasons = {action: refusal(action, task) for action in Action}
    if detailed:
        text.append("Actions", style="bold")
        final = not ALLOWED_TRANSITIONS[task.status]
        stopped: dict[str, list[str]] = {}  # reason -> the actions it stops, each reason said once
        for action, reason in reasons.items():
            name = _NAMES.get(action, action)
            if reason is None:
                text.append(f"\n  {name:<10}", style="bold")
                text.append("available", style="green")
            else:
                said = f"{task.status} is final; no action changes it." if final else reason
                stopped.setdefault(said, []).append(name)
        for reason, names in stopped.items():
            text.append(f"\n  {', '.join(names)}: ", style="dim")
            text.append(reason, style="dim")
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
