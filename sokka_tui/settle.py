"""After an action whose answer was lost (the connection broke mid-action): did
it happen? Every write is MVCC-checked and atomic, so the task is either fully
changed by it or untouched; this tells which, once the store answers again.
"""

from __future__ import annotations

from dataclasses import dataclass

from sokka_tui.actions import VERBS, Request
from sokka_tui.render import absolute, plain
from stores import Task
from stores.audit import AuditEntry

#: How many of the task's newest records are searched for the action's own.
RECORDS_SEARCHED = 50


@dataclass(frozen=True)
class Settlement:
    """What became of a request: ``applied`` is ``None`` when it can't be told
    for sure (a store without an audit trail)."""

    request: Request
    applied: bool | None
    task: Task | None
    record: AuditEntry | None = None

    def message(self) -> str:
        seen = self.request.seen
        what = f"{VERBS[self.request.action]} {plain(seen.task_id, 60)} (sent at v{seen.record_ver})"
        task = self.task
        now = f"now {task.status}, v{task.record_ver}" if task is not None else "the task no longer exists"
        if self.applied and self.record is not None:
            return (
                f"{what} WAS APPLIED before the connection broke: recorded at "
                f"{absolute(self.record.at)} (v{self.record.record_ver_before}→v{self.record.record_ver_after}); {now}."
            )
        if self.applied is False and task is not None and task.record_ver == seen.record_ver:
            return f"{what} was NOT applied: the task is unchanged ({now}). Nothing was written; you can try again."
        if self.applied is False:
            return f"{what} was NOT applied: the task was changed by something else ({now})."
        return (
            f"{what}: {now}, as this action would have left it, but this store keeps "
            "no audit trail to confirm it was this action."
        )


def settle(store, request: Request) -> Settlement:
    """Find out whether ``request`` was written (call from a worker thread).

    Raises ``StoreUnavailable`` while the store does not answer."""
    seen = request.seen
    task = store.task(seen.task_id)
    if task is not None and task.record_ver == seen.record_ver:
        return Settlement(request, False, task)  # a write would have moved the version on
    operator = getattr(store, "operator", None)
    if operator is not None:
        for entry in store.audit_log(seen.task_id, {"limit": RECORDS_SEARCHED}).data:
            if (
                entry.record_ver_before == seen.record_ver
                and entry.action == request.action
                and (entry.user, entry.host, entry.tool) == (operator.user, operator.host, operator.tool)
            ):
                return Settlement(request, True, task, entry)
        return Settlement(request, False, task)
    looks_applied = (
        task is not None and task.record_ver == seen.record_ver + 1 and task.status == request.action.target
    )
    return Settlement(request, None if looks_applied else False, task)
