"""The operator's actions on one task: which the transition table allows, and running one.

Every action is sent with the ``record_ver`` (and ``pid``) the operator saw, so a
task that changed meanwhile is refused by the store and nothing is written.
"""

from __future__ import annotations

from dataclasses import dataclass

from stores import ALLOWED_TRANSITIONS, FINAL_STATUSES, Task
from stores.bulk import BulkAction, allowed_from

#: The operator's actions are the store's bulk actions: one enum for both.
Action = BulkAction

VERBS = {
    Action.SNOOZE: "Snooze",
    Action.FAIL: "Fail",
    Action.TERMINATE: "Terminate",
    Action.REVOKE: "Revoke the lease of",
    Action.RERUN: "Re-run",
}
#: The word on a confirming button.
BUTTONS = {**{action: action.capitalize() for action in Action}, Action.RERUN: "Re-run"}


def refusal(action: Action, task: Task) -> str | None:
    """Why ``action`` can't be applied to ``task`` as seen, or ``None`` when it can."""
    if action is Action.RERUN:  # not a transition: a new task, made from a finished one
        if task.status in FINAL_STATUSES:
            return None
        return f"Only a failed or terminated task can be re-run; this one is {task.status}."
    if action.target in ALLOWED_TRANSITIONS[task.status]:
        return None
    if not ALLOWED_TRANSITIONS[task.status]:
        return f"The task is {task.status}: a final status allows no change."
    statuses = " or ".join(allowed_from(action))
    done = "revoked" if action == Action.REVOKE else f"{action}d"
    return f"Only a {statuses} task can be {done}; this one is {task.status}."


@dataclass(frozen=True)
class Request:
    """An action the operator confirmed, on the task as they saw it."""

    action: Action
    seen: Task
    snooze_ms: int | None = None
    error: str | None = None


def perform(store, request: Request) -> Task:
    """Send ``request`` to ``store`` (call from a worker thread).

    Raises the store's errors: ``TaskConcurrentlyUpdated`` when the task changed
    since it was seen, ``InvalidStatusTransition``/``WrongOwner``/``InvalidStatus``,
    ``StoreUnavailable``. A re-run returns the new task.
    """
    seen = request.seen
    if request.action == Action.SNOOZE:
        return store.snooze(seen.task_id, seen.pid, request.snooze_ms, record_ver=seen.record_ver)
    if request.action == Action.FAIL:
        return store.fail(seen.task_id, seen.pid, request.error, record_ver=seen.record_ver)
    if request.action == Action.TERMINATE:
        return store.terminate(seen.task_id, seen.pid, record_ver=seen.record_ver)
    if request.action == Action.RERUN:  # the new task; the original stays as it is
        return store.rerun_task(seen.task_id, seen.record_ver)
    return store.revoke_lease(seen.task_id, seen.record_ver)


def changes(seen: Task, now: Task | None) -> list[tuple[str, object, object]]:
    """The fields that differ between what the operator saw and the task now."""
    if now is None:
        return [("task", "present", "deleted")]
    fields = ("status", "pid", "record_ver", "lease_expires_at", "error", "snooze_time", "updated_at")
    return [
        (name, getattr(seen, name), getattr(now, name))
        for name in fields
        if getattr(seen, name) != getattr(now, name)
    ]
