"""Batched leases: the arguments of ``reserve_tasks``, ``terminate_many`` and
``extend_leases`` checked, and a refused task's ``BatchResult`` worded.

A batch applies the single write's checks (``stores.rules``) to each task on
its own: a task whose check fails is left as it is and gets the outcome of the
error the single write would have raised; the others are written.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import stores.validation as v
from stores.errors import InvalidArgument, TaskNotFound, TaskStoreError, WrongOwner
from stores.model import BatchOutcome, BatchResult, Task

#: The most tasks one batched call takes (or reserves).
MAX_BATCH = 1_000


def check_max_tasks(max_tasks: object) -> int:
    """``max_tasks`` of ``reserve_tasks``: a whole number from 1 to ``MAX_BATCH``."""
    if isinstance(max_tasks, bool) or not isinstance(max_tasks, int) or not 1 <= max_tasks <= MAX_BATCH:
        raise InvalidArgument(f"max_tasks must be a whole number from 1 to {MAX_BATCH}.")
    return max_tasks


def _check_size(what: str, n: int) -> None:
    if n > MAX_BATCH:
        raise InvalidArgument(f"{what} takes at most {MAX_BATCH} tasks per call, not {n}.")


def check_versions(items: object) -> list[tuple[str, int]]:
    """The ``(task_id, record_ver)`` pairs of ``terminate_many``, each task once."""
    if isinstance(items, (str, bytes)) or not isinstance(items, Iterable):
        raise InvalidArgument("terminate_many takes a list of (task_id, record_ver) pairs.")
    checked: list[tuple[str, int]] = []
    for item in items:
        if not isinstance(item, (tuple, list)) or len(item) != 2:
            raise InvalidArgument("terminate_many takes a list of (task_id, record_ver) pairs.")
        task_id = v.check_task_id(item[0])
        record_ver = v.check_record_ver(item[1], optional=False)
        assert record_ver is not None  # not optional
        checked.append((task_id, record_ver))
    _check_size("terminate_many", len(checked))
    _check_once("terminate_many", [task_id for task_id, _ in checked])
    return checked


def check_task_ids(task_ids: object) -> list[str]:
    """The task ids of ``extend_leases``, each once."""
    if isinstance(task_ids, (str, bytes)) or not isinstance(task_ids, Iterable):
        raise InvalidArgument("extend_leases takes a list of task ids.")
    checked = [v.check_task_id(task_id) for task_id in task_ids]
    _check_size("extend_leases", len(checked))
    _check_once("extend_leases", checked)
    return checked


def _check_once(what: str, task_ids: list[str]) -> None:
    if len(set(task_ids)) != len(task_ids):
        raise InvalidArgument(f"{what} takes each task once.")


def outcome_of(error: TaskStoreError) -> BatchOutcome:
    """The outcome a single write's refusal stands for in a batch."""
    if isinstance(error, TaskNotFound):
        return BatchOutcome.GONE
    if isinstance(error, WrongOwner):
        return BatchOutcome.WRONG_OWNER
    return BatchOutcome.CHANGED


def refused(task_id: str, task: Task | None, check: Callable[[Task | None], object]) -> BatchResult:
    """The result of a task a batch did not write, from the task as the store saw
    it then (``None``: no such task) and the single write's check (which raises).

    When the check finds nothing wrong, the task changed between the write and
    the read that diagnosed it: nothing was applied, so it is ``changed``."""
    try:
        check(task)
    except TaskStoreError as error:
        return BatchResult(task_id, outcome_of(error), task, error.code, str(error))
    return BatchResult(
        task_id, BatchOutcome.CHANGED, task, "task-concurrently-updated",
        f"Task {task_id!r} changed while the batch was written; nothing was applied to it.",
    )
