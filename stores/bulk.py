"""Acting on many tasks at once, each only at the version the operator saw.

An optional capability beyond sokka's protocol, for the console's bulk triage:
``store.apply_bulk(action, items)`` applies one action to every item and says,
per task, what became of it. Every write is MVCC-checked with the item's
``record_ver``, exactly like a single action; nothing else is ever touched.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from stores.constants import ALLOWED_SOURCES
from stores.errors import (
    InvalidStatus,
    InvalidStatusTransition,
    TaskConcurrentlyUpdated,
    TaskNotFound,
    TaskStoreError,
    WrongOwner,
)
from stores.model import Task, TaskStatus
from stores.rules import RERUN_SOURCES, TARGET_STATUS, Write

#: Items sent to a server in one go by ``apply_bulk`` implementations.
BULK_CHUNK = 500


class BulkAction(enum.StrEnum):
    TERMINATE = "terminate"
    FAIL = "fail"
    SNOOZE = "snooze"
    REVOKE = "revoke"
    #: Not a transition: each task is left as it is and a new task made from it
    #: (``rerun_task``); allowed from the final statuses (``rules.RERUN_SOURCES``).
    RERUN = "rerun"

    @property
    def target(self) -> TaskStatus:
        """The status the action leaves the task in (a re-run: the new task's)."""
        if self in (BulkAction.REVOKE, BulkAction.RERUN):
            return TaskStatus.STARTING
        return TARGET_STATUS[Write(self.value)]

    @property
    def checks_owner(self) -> bool:
        """Revoking is the operator's override; the other writes are the owner's."""
        return self not in (BulkAction.REVOKE, BulkAction.RERUN)


class BulkOutcome(enum.StrEnum):
    DONE = "done"
    SKIPPED = "skipped"  # changed since it was marked: nothing written
    REFUSED = "refused"  # its status does not allow the action
    GONE = "gone"  # no longer exists


@dataclass(frozen=True)
class BulkItem:
    """A task as the operator marked it."""

    task_id: str
    record_ver: int
    pid: str | None = None
    status: TaskStatus | None = None


@dataclass(frozen=True)
class BulkResult:
    """What became of one item; ``task`` is the task after the write when done
    (for a re-run: the new task)."""

    task_id: str
    outcome: BulkOutcome
    reason: str = ""
    task: Task | None = None


def outcome_of(error: TaskStoreError) -> BulkOutcome:
    """The outcome a single write's refusal stands for."""
    if isinstance(error, TaskNotFound):
        return BulkOutcome.GONE
    if isinstance(error, TaskConcurrentlyUpdated):
        return BulkOutcome.SKIPPED
    if isinstance(error, (InvalidStatusTransition, InvalidStatus, WrongOwner)):
        return BulkOutcome.REFUSED
    raise error


def allowed_from(action: BulkAction) -> list[str]:
    """The statuses the transition table lets ``action`` start from."""
    if action is BulkAction.RERUN:
        return sorted(str(s) for s in RERUN_SOURCES)
    return [str(s) for s in ALLOWED_SOURCES[action.target]]


def classify(item: BulkItem, current: tuple[int, str, str | None] | None, action: BulkAction) -> BulkResult:
    """Why a conditional bulk write missed ``item``, from the task's (record_ver, status, pid) now."""
    if current is None:
        return BulkResult(item.task_id, BulkOutcome.GONE, "The task no longer exists.")
    record_ver, status, pid = current
    if record_ver != item.record_ver:
        return BulkResult(
            item.task_id, BulkOutcome.SKIPPED,
            f"Changed since marked: now version {record_ver} ({status}), not {item.record_ver}.",
        )
    if status not in allowed_from(action):
        verb = "re-run" if action is BulkAction.RERUN else f"{action}d"
        return BulkResult(item.task_id, BulkOutcome.REFUSED, f"A {status} task cannot be {verb}.")
    return BulkResult(item.task_id, BulkOutcome.REFUSED, f"Held by {pid!r}, not {item.pid!r}.")
