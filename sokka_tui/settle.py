"""After an action whose answer was lost (the connection broke mid-action): did
it happen? Every write is MVCC-checked and atomic, so the task is either fully
changed by it or untouched; this tells which, once the store answers again.

The same for a bulk run stopped by a store failure: each task of the chunk in
flight is looked at again (``settle_bulk``), and its record of the run looked
for in the audit trail, by the run's ``batch_id``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sokka_tui.actions import VERBS, Action, Request
from sokka_tui.render import absolute, format_duration, plain
from sokka_tui.timezones import UTC, Zone
from stores import Store, Task
from stores.audit import AuditEntry
from stores.bulk import BulkItem, BulkOutcome, BulkResult

#: How many of the task's newest records are searched for the action's own.
RECORDS_SEARCHED = 50
#: How much earlier than its send time (both on the store's clock, the console's
#: through a measured offset) a re-run's record may seem to be and still be its own.
CLOCK_MARGIN_MS = 2_000
#: Why a task of a failed bulk run ends skipped when the store did not write it.
NOT_WRITTEN = "Nothing was written: the store failed before writing it (m marks it again)."


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

    def message(self, zone: Zone = UTC) -> str:
        seen = self.request.seen
        what = f"{VERBS[self.request.action]} {plain(seen.task_id, 60)} (sent at v{seen.record_ver})"
        task = self.task
        now = f"now {task.status}, v{task.record_ver}" if task is not None else "the task no longer exists"
        if self.applied and self.record is not None:
            if self.request.action == Action.RERUN:
                now += f"; the new task is {plain(self.record.detail, 60)}"
            return f"{what} {applied_when(self.record, self.attempt, zone)}; {now}."
        if self.applied is False and task is not None and task.record_ver == seen.record_ver:
            return f"{what} was NOT applied: the task is unchanged ({now}). Nothing was written; you can try again."
        if self.applied is False:
            return f"{what} was NOT applied: the task was changed by something else ({now})."
        return (
            f"{what}: {now}, as this action would have left it, but this store keeps "
            "no audit trail to confirm it was this action."
        )


def applied_when(record: AuditEntry, attempt: Attempt, zone: Zone = UTC) -> str:
    """``WAS APPLIED ...``, saying when the store wrote it relative to the lost connection.

    The store recorded it either while the console still waited for the answer
    (the answer was lost on its way back: "before the connection broke"), or
    after the console had given up (the server was stopped, or its queue held
    the request, and it ran later: "after the connection was lost"). Which one
    is told by the record's time against the moment the console gave up, both on
    the store's clock; with no such moment, nothing is claimed."""
    versions = f"v{record.record_ver_before}→v{record.record_ver_after}"
    recorded = absolute(record.at, zone)
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
    if request.action == Action.RERUN:  # the original never changes: only its trail can tell
        return _settle_rerun(store, request, task, attempt)
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


def _settle_rerun(store: Store, request: Request, task: Task | None, attempt: Attempt) -> Settlement:
    """A re-run leaves the original as it was: it was applied when the original's
    trail has this operator's ``rerun`` record of that version, made after it was
    sent (an earlier re-run of the same version is another one); ``None`` (can't
    tell) on a store without an audit trail."""
    operator = store.operator
    if operator is None:
        return Settlement(request, None, task, attempt=attempt)
    for entry in store.audit_log(request.seen.task_id, {"limit": RECORDS_SEARCHED}).data:
        if (
            entry.action == Action.RERUN
            and entry.record_ver_before == request.seen.record_ver
            and (attempt.sent_at is None or entry.at >= attempt.sent_at - CLOCK_MARGIN_MS)
            and (entry.user, entry.host, entry.tool) == (operator.user, operator.host, operator.tool)
        ):
            return Settlement(request, True, task, entry, attempt)
    return Settlement(request, False, task, attempt=attempt)


def settle_bulk(
    store: Store, action: Action, items: Sequence[BulkItem], batch_id: str, zone: Zone = UTC
) -> list[BulkResult]:
    """What became of ``items``, sent in the bulk run ``batch_id`` when the store
    failed (call from a worker thread): one result per item, in order.

    Unchanged (still at the version marked): skipped, nothing written. Changed,
    with this run's record in the task's audit trail: done. Changed otherwise:
    skipped (something else changed it). Missing: gone. A store without an audit
    trail: done when the task is one version on and in the action's status, as
    the run would have left it (said so in the reason). Times in ``zone``. Raises
    ``StoreUnavailable`` while the store does not answer."""
    audited = store.operator is not None
    results = []
    for item in items:
        task = store.task(item.task_id)
        if task is None:
            results.append(BulkResult(item.task_id, BulkOutcome.GONE, "The task no longer exists."))
        elif action == Action.RERUN:  # the original never changes: only its trail can tell
            results.append(_settle_bulk_rerun(store, item, batch_id, audited, zone))
        elif task.record_ver == item.record_ver:
            results.append(BulkResult(item.task_id, BulkOutcome.SKIPPED, NOT_WRITTEN))
        elif audited:
            record = _record_of_run(store, action, item, batch_id)
            if record is not None:
                results.append(BulkResult(
                    item.task_id, BulkOutcome.DONE,
                    f"Written before the run stopped: recorded at {absolute(record.at, zone)} "
                    f"(v{record.record_ver_before}→v{record.record_ver_after}).",
                    task,
                ))
            else:
                results.append(_changed_elsewhere(item, task))
        elif task.record_ver == item.record_ver + 1 and task.status == action.target:
            results.append(BulkResult(
                item.task_id, BulkOutcome.DONE,
                f"Now {task.status}, one version on, as this run leaves it; this store keeps no audit "
                "trail to confirm it was this run.",
                task,
            ))
        else:
            results.append(_changed_elsewhere(item, task))
    return results


def _settle_bulk_rerun(store: Store, item: BulkItem, batch_id: str, audited: bool, zone: Zone) -> BulkResult:
    if not audited:
        return BulkResult(
            item.task_id, BulkOutcome.SKIPPED,
            "Whether it was re-run is not known: this store keeps no audit trail (look for a task "
            "described \"re-run of\" this one).",
        )
    record = _record_of_run(store, Action.RERUN, item, batch_id)
    if record is None:
        return BulkResult(item.task_id, BulkOutcome.SKIPPED, NOT_WRITTEN)
    return BulkResult(
        item.task_id, BulkOutcome.DONE,
        f"Re-run before the run stopped, as new task {plain(record.detail, 60)} "
        f"(recorded at {absolute(record.at, zone)}).",
    )


def _record_of_run(store: Store, action: Action, item: BulkItem, batch_id: str) -> AuditEntry | None:
    for entry in store.audit_log(item.task_id, {"limit": RECORDS_SEARCHED}).data:
        if entry.batch_id == batch_id and entry.action == action and entry.record_ver_before == item.record_ver:
            return entry
    return None


def _changed_elsewhere(item: BulkItem, task: Task) -> BulkResult:
    return BulkResult(
        item.task_id, BulkOutcome.SKIPPED,
        f"Changed by something else since marked: now version {task.record_ver} ({task.status}), "
        f"not {item.record_ver}; nothing written by this run.",
    )
