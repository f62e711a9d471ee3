"""The protocol's constants: the statuses, the transition table, the defaults.

A module of its own, importing only ``stores.model``, so that every other module
of the package may use them without an import cycle; ``stores.protocol`` and
``stores`` re-export them.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from stores.model import TaskStatus

TASK_STATUSES: tuple[TaskStatus, ...] = tuple(TaskStatus)

#: status -> the statuses it may move to. Final statuses map to an empty set.
ALLOWED_TRANSITIONS: Mapping[TaskStatus, frozenset[TaskStatus]] = MappingProxyType(
    {
        TaskStatus.STARTING: frozenset(
            {TaskStatus.RUNNING, TaskStatus.FAILED, TaskStatus.TERMINATED}
        ),
        TaskStatus.RUNNING: frozenset(
            {TaskStatus.FAILED, TaskStatus.SNOOZED, TaskStatus.TERMINATED, TaskStatus.STARTING}
        ),
        TaskStatus.SNOOZED: frozenset(
            {TaskStatus.STARTING, TaskStatus.FAILED, TaskStatus.TERMINATED}
        ),
        TaskStatus.FAILED: frozenset(),
        TaskStatus.TERMINATED: frozenset(),
    }
)

#: status -> the statuses that may move to it: the table read backwards, for the
#: conditional writes of the SQL backends and the bulk refusals.
ALLOWED_SOURCES: Mapping[TaskStatus, tuple[TaskStatus, ...]] = MappingProxyType(
    {
        target: tuple(status for status, targets in ALLOWED_TRANSITIONS.items() if target in targets)
        for target in TaskStatus
    }
)

FINAL_STATUSES: frozenset[TaskStatus] = frozenset(
    status for status, targets in ALLOWED_TRANSITIONS.items() if not targets
)
#: The statuses that hold a lease (``list_leased_tasks``): a worker's or a snooze's.
LEASED_STATUSES: frozenset[TaskStatus] = frozenset({TaskStatus.RUNNING, TaskStatus.SNOOZED})

DEFAULT_LEASE_TIME_MS = 120_000
DEFAULT_SNOOZE_TIME_MS = 300_000
DEFAULT_NAMESPACE = "sokka"
DEFAULT_PAGE_LIMIT = 100
MAX_PAGE_LIMIT = 10_000
#: ``rates`` resolutions: name -> (bucket width in ms, buckets in the window):
#: the last hour by minute, the last day by 10 minutes, current bucket included.
RATE_RESOLUTIONS: Mapping[str, tuple[int, int]] = MappingProxyType(
    {"minute": (60_000, 60), "10min": (600_000, 144)}
)
#: Seconds a connection attempt, a statement or a socket read may take.
DEFAULT_TIMEOUT_S = 5.0


def can_transition(current: TaskStatus | str, target: TaskStatus | str) -> bool:
    """Whether the transition table lets a task in ``current`` move to ``target``."""
    return TaskStatus(target) in ALLOWED_TRANSITIONS[TaskStatus(current)]
