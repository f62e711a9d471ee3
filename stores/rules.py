"""What each write checks, in which order, and what it changes.

The SQLite store applies these directly; the PostgreSQL store encodes the same
conditions in SQL and calls ``check_*`` only to name the error when its
conditional update touched nothing; the Redis scripts mirror them in Lua.

Order of checks for every write on an existing task:
``TaskNotFound``, then ``TaskConcurrentlyUpdated`` (a given ``record_ver`` that
differs: the caller acted on a stale view, nothing else matters), then the
operation's own checks:

- ``extend_lease``: ``AlreadyDone``, ``InvalidStatus``, ``WrongOwner``, ``LeaseExpired``.
- ``terminate`` / ``fail`` / ``snooze``: ``InvalidStatusTransition``, then
  ``WrongOwner`` (skipped when the task is ``snoozed``).
- ``revoke_lease``: ``InvalidStatusTransition`` (allowed from ``running`` and ``snoozed``).
- ``rerun_task``: ``InvalidStatus`` (allowed from the final statuses only). A
  re-run is not a transition: the original stays as it is ("failed is final")
  and a new task is created from it.

A lease or a snooze ends at ``lease_expires_at``: it has expired when
``lease_expires_at <= now``.
"""

from __future__ import annotations

import dataclasses
from enum import StrEnum

from stores.constants import ALLOWED_TRANSITIONS, FINAL_STATUSES
from stores.errors import (
    AlreadyDone,
    InvalidStatus,
    InvalidStatusTransition,
    LeaseExpired,
    TaskConcurrentlyUpdated,
    TaskNotFound,
    WrongOwner,
)
from stores.model import Task, TaskStatus


class Write(StrEnum):
    """The owner's writes, named by the status they lead to."""

    TERMINATE = "terminate"
    FAIL = "fail"
    SNOOZE = "snooze"


TARGET_STATUS = {
    Write.TERMINATE: TaskStatus.TERMINATED,
    Write.FAIL: TaskStatus.FAILED,
    Write.SNOOZE: TaskStatus.SNOOZED,
}


def lease_expired(task: Task, now: int) -> bool:
    return task.lease_expires_at is not None and task.lease_expires_at <= now


def _found(task: Task | None, task_id: str) -> Task:
    if task is None:
        raise TaskNotFound(f"Task {task_id!r} does not exist.", task_id=task_id)
    return task


def check_version(task: Task, record_ver: int | None) -> None:
    if record_ver is not None and task.record_ver != record_ver:
        raise TaskConcurrentlyUpdated(
            f"Task {task.task_id!r} changed meanwhile: it is at version {task.record_ver}"
            f" ({task.status}), not {record_ver}.",
            task_id=task.task_id,
        )


def check_transition(task: Task, target: TaskStatus) -> None:
    if target not in ALLOWED_TRANSITIONS[task.status]:
        raise InvalidStatusTransition(
            f"Task {task.task_id!r} cannot move from {task.status} to {target}.",
            task_id=task.task_id,
        )


def check_extend(task: Task | None, task_id: str, pid: str, record_ver: int | None, now: int) -> Task:
    """Raise the error ``extend_lease`` must raise for ``task``, if any."""
    task = _found(task, task_id)
    check_version(task, record_ver)
    if task.status in FINAL_STATUSES:
        raise AlreadyDone(f"Task {task_id!r} is already {task.status}.", task_id=task_id)
    if task.status != TaskStatus.RUNNING:
        raise InvalidStatus(
            f"Task {task_id!r} is {task.status}, so it has no lease to extend.", task_id=task_id
        )
    if task.pid != pid:
        raise WrongOwner(f"Task {task_id!r} is leased to another worker.", task_id=task_id)
    if lease_expired(task, now):
        raise LeaseExpired(f"The lease on task {task_id!r} has already expired.", task_id=task_id)
    return task


def check_write(
    task: Task | None, task_id: str, write: Write, pid: str | None, record_ver: int | None
) -> Task:
    """Raise the error ``terminate``/``fail``/``snooze`` must raise for ``task``, if any."""
    task = _found(task, task_id)
    check_version(task, record_ver)
    check_transition(task, TARGET_STATUS[write])
    if task.status != TaskStatus.SNOOZED and task.pid != pid:
        raise WrongOwner(
            f"Task {task_id!r} is not held by {pid!r}; it is {task.status}"
            + (f" and held by {task.pid!r}." if task.pid else " and held by no one."),
            task_id=task_id,
        )
    return task


def check_revoke(task: Task | None, task_id: str, record_ver: int) -> Task:
    """Raise the error ``revoke_lease`` must raise for ``task``, if any."""
    task = _found(task, task_id)
    check_version(task, record_ver)
    check_transition(task, TaskStatus.STARTING)
    return task


#: The statuses a task may be re-run from: the final ones.
RERUN_SOURCES = FINAL_STATUSES


def check_rerun(task: Task | None, task_id: str, record_ver: int | None) -> Task:
    """Raise the error ``rerun_task`` must raise for ``task``, if any."""
    task = _found(task, task_id)
    check_version(task, record_ver)
    if task.status not in RERUN_SOURCES:
        raise InvalidStatus(
            f"Task {task_id!r} is {task.status}; only a failed or terminated task can be re-run.",
            task_id=task_id,
        )
    return task


def _bumped(
    task: Task, now: int, status: TaskStatus, pid: str | None, lease_expires_at: int | None,
    *, error: str | None = None, snooze_time: int | None = None,
) -> Task:
    """``task`` after a write at ``now``: the given state, the next version; ``error``
    and ``snooze_time`` as they were unless given."""
    return dataclasses.replace(
        task,
        status=status,
        pid=pid,
        lease_expires_at=lease_expires_at,
        error=task.error if error is None else error,
        snooze_time=task.snooze_time if snooze_time is None else snooze_time,
        record_ver=task.record_ver + 1,
        updated_at=now,
    )


def reserved(task: Task, pid: str, now: int, lease_time_ms: int) -> Task:
    return _bumped(task, now, TaskStatus.RUNNING, pid, now + lease_time_ms)


def extended(task: Task, now: int, lease_time_ms: int) -> Task:
    return _bumped(task, now, task.status, task.pid, now + lease_time_ms)


def written(task: Task, write: Write, now: int, *, error: str = "", snooze_ms: int = 0) -> Task:
    """``task`` after ``write``: the lease and ``pid`` are cleared in every case."""
    if write == Write.SNOOZE:
        return _bumped(task, now, TaskStatus.SNOOZED, None, now + snooze_ms, snooze_time=snooze_ms)
    return _bumped(
        task, now, TARGET_STATUS[write], None, None, error=error if write == Write.FAIL else None
    )


def revoked(task: Task, now: int) -> Task:
    return _bumped(task, now, TaskStatus.STARTING, None, None)
