"""After an action whose answer was lost (the connection broke mid-action): did
it happen? Every write is MVCC-checked and atomic, so the task is either fully
changed by it or untouched; this tells which, once the store answers again.
"""

from __future__ import annotations

from dataclasses import dataclass

from sokka_tui.actions import VERBS, Request
from sokka_tui.render import absolute, format_duration, plain
from stores import Store, Task
from stores.audit import AuditEntry

#: How many of the task's newest records are searched for the action's own.
RECORDS_SEARCHED = 50


@dataclass(frozen=True)
class Attempt:
    """When a request was sent and when the console gave up waiting for its answer
    (the connection was lost), both on the store's clock in epoch ms; ``None``
    when not known."""

    sent_at: int | None = None
    lost_at: int | None = None


#: An attempt whose times are not known.
UNTIMED = Attempt()


@dataclass(frozen=True)
class Settlement:
    """What became of a request: ``applied`` is ``None`` when it can't be told
    for sure (a store without an audit trail)."""

    request: Request
    applied: bool | None
    task: Task | None
    record: AuditEntry | None = None
    attempt: Attempt = UNTIMED

    def message(self) -> str:
        seen = self.request.seen
        what = f"{VERBS[self.request.action]} {plain(seen.task_id, 60)} (sent at v{seen.record_ver})"
        task = self.task
        now = f"now {task.status}, v{task.record_ver}" if task is not None else "the task no longer exists"
        if self.applied and self.record is not None:
            return f"{what} {applied_when(self.record, self.attempt)}; {now}."
        if self.applied is False and task is not None and task.record_ver == seen.record_ver:
            return f"{what} was NOT applied: the task is unchanged ({now}). Nothing was written; you can try again."
        if self.applied is False:
            return f"{what} was NOT applied: the task was changed by something else ({now})."
        return (
            f"{what}: {now}, as this action would have left it, but this store keeps "
            "no audit trail to confirm it was this action."
        )


def applied_when(record: AuditEntry, attempt: Attempt) -> str:
    """``WAS APPLIED ...``, saying when the store wrote it relative to the lost connection.

    The store recorded it either while the console still waited for the answer
    (the answer was lost on its way back: "before the connection broke"), or
    after the console had given up (the server was stopped, or its queue held
    the request, and it ran later: "after the connection was lost"). Which one
    is told by the record's time against the moment the console gave up, both on
    the store's clock; with no such moment, nothing is claimed."""
    versions = f"v{record.record_ver_before}→v{record.record_ver_after}"
    recorded = absolute(record.at)
    if attempt.lost_at is None:
        return f"WAS APPLIED: the store recorded it at {recorded} ({versions})"
    if record.at > attempt.lost_at:
        late = ""
        if attempt.sent_at is not None:
            late = f", {format_duration(record.at - attempt.sent_at)} after it was sent"
        return f"WAS APPLIED (the store recorded it at {recorded}{late}, after the connection was lost; {versions})"
    return f"WAS APPLIED before the connection broke: recorded at {recorded} ({versions})"


def settle(store: Store, request: Request, attempt: Attempt = UNTIMED) -> Settlement:
    """Find out whether ``request`` was written (call from a worker thread).

    Raises ``StoreUnavailable`` while the store does not answer."""
    seen = request.seen
    task = store.task(seen.task_id)
    if task is not None and task.record_ver == seen.record_ver:
        return Settlement(request, False, task, attempt=attempt)  # a write would have moved the version on
    operator = store.operator
    if operator is not None:
        for entry in store.audit_log(seen.task_id, {"limit": RECORDS_SEARCHED}).data:
            if (
                entry.record_ver_before == seen.record_ver
                and entry.action == request.action
                and (entry.user, entry.host, entry.tool) == (operator.user, operator.host, operator.tool)
            ):
                return Settlement(request, True, task, entry, attempt)
        return Settlement(request, False, task, attempt=attempt)
    looks_applied = (
        task is not None and task.record_ver == seen.record_ver + 1 and task.status == request.action.target
    )
    return Settlement(request, None if looks_applied else False, task, attempt=attempt)

