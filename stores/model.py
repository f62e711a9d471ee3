"""The store's data: frozen dataclasses and the status enum.

Every store method returns these, never driver rows.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any, Generic, TypeVar

Row = TypeVar("Row")
Source = TypeVar("Source")


class TaskStatus(enum.StrEnum):
    """A task's status; a ``str``, so ``TaskStatus.RUNNING == "running"``."""

    STARTING = "starting"
    RUNNING = "running"
    SNOOZED = "snoozed"
    FAILED = "failed"
    TERMINATED = "terminated"


@dataclass(frozen=True)
class Task:
    """One task as the store holds it. Times are epoch ms on the store's clock."""

    task_id: str
    task_group_id: str
    task_description: str | None
    topic: str
    sub_topic: str
    status: TaskStatus
    pid: str | None
    record_ver: int
    data: Any
    error: str | None
    snooze_time: int | None
    timeout_ms: int | None
    lease_expires_at: int | None
    created_at: int
    updated_at: int

    if not TYPE_CHECKING:  # to a type checker, a Task has its fields and nothing else

        def __getattr__(self, name: str) -> Any:
            """A field of a task made by ``task_decoded_later``, read before it was decoded."""
            return _decode_later(self, name)

    def __getstate__(self) -> dict[str, Any]:
        """Its fields, decoded: what a copy or a pickle holds."""
        if _UNDECODED in self.__dict__:
            _decode_later(self, "task_id")
        return self.__dict__


#: ``TaskStatus(text)`` as a dict lookup: the enum's call costs about 1 us, on
#: every task a store reads.
STATUS_OF_TEXT: dict[str, TaskStatus] = {str(status): status for status in TaskStatus}
_FIELD_COUNT = len(fields(Task))
_FIELD_NAMES = tuple(field.name for field in fields(Task))
#: Where a task made by ``task_decoded_later`` keeps its decoder and source until then.
_UNDECODED = "_undecoded"


def task_of(values: Sequence[Any]) -> Task:
    """``Task(*values)``, ``values`` in field order, without the frozen
    dataclass's ``__init__``, which sets each field through
    ``object.__setattr__``: every reserve and every write returns a task. The
    fields are filled from one dict display, which builds the dict in a single
    step (about half the time of zipping the names with the values). Task has
    no ``__post_init__``, no slots and no defaults; ``tests/stores/test_model.py``
    checks this equals ``Task(...)`` and names every field, in order. Raises
    ``ValueError`` for a wrong number of values."""
    if len(values) != _FIELD_COUNT:
        raise ValueError(f"a task has {_FIELD_COUNT} fields, not {len(values)}")
    task = object.__new__(Task)
    task.__dict__.update({
        "task_id": values[0], "task_group_id": values[1], "task_description": values[2], "topic": values[3],
        "sub_topic": values[4], "status": values[5], "pid": values[6], "record_ver": values[7], "data": values[8],
        "error": values[9], "snooze_time": values[10], "timeout_ms": values[11], "lease_expires_at": values[12],
        "created_at": values[13], "updated_at": values[14],
    })
    return task


def task_decoded_later(task_id: str, decode: Callable[[Source], Sequence[Any]], source: Source) -> Task:
    """A ``Task`` with its ``task_id``, whose other fields are ``decode(source)``
    (all of them, in field order, as ``task_of`` takes them), decoded on the
    first read of any of them.

    Every reserve and every write returns a task, and a worker reads few of
    them whole: the reserved task once, for its ``data``, and the task
    ``terminate`` returns hardly ever. A task's decoding (a JSON parse, fifteen
    values, twice a cycle) was 30,000 of a PostgreSQL worker's 107,000 client
    instructions a cycle (``bench/README.md``). Equality, hashing, ``repr``, ``dataclasses.replace``,
    copies and pickles read the fields, so they decode it first; only
    ``vars()`` of a task not yet decoded shows its id and what it keeps. The
    first read of a field raises what ``decode`` raises (``ValueError`` also
    when it gives another id or another number of values); for what a store
    wrote, it does not."""
    task = object.__new__(Task)
    task.__dict__.update({"task_id": task_id, _UNDECODED: (decode, source)})
    return task


def _decode_later(task: Task, name: str) -> Any:
    state = task.__dict__
    undecoded = state.get(_UNDECODED)
    if undecoded is None or name not in _FIELD_NAMES:
        if name in _FIELD_NAMES and name in state:  # another thread decoded it since the lookup
            return state[name]
        raise AttributeError(f"'Task' object has no attribute {name!r}")
    decode, source = undecoded
    values = decode(source)
    if len(values) != _FIELD_COUNT:
        raise ValueError(f"task {state['task_id']!r} decoded as {len(values)} values, not {_FIELD_COUNT}")
    if values[0] != state["task_id"]:
        raise ValueError(f"task {state['task_id']!r} decoded as task {values[0]!r}")
    # The id keeps its first place among the keys, so vars() lists the fields in order.
    state.update(zip(_FIELD_NAMES, values, strict=True))
    state.pop(_UNDECODED, None)  # absent when another thread decoded it at the same time
    return state[name]


class BatchOutcome(enum.StrEnum):
    """What a batched write (``terminate_many``, ``extend_leases``) did to one task."""

    OK = "ok"  # applied
    CHANGED = "changed"  # its version or status no longer allows it (lease expired, done, ...)
    WRONG_OWNER = "wrong_owner"  # held by another worker
    GONE = "gone"  # no such task


@dataclass(frozen=True)
class BatchResult:
    """One task's result in a batched write, in the order the tasks were given.

    ``outcome`` is ``ok`` when the write was applied, and ``task`` is then the
    task after it (its new ``record_ver`` and lease). Otherwise nothing was
    applied to this task: ``code`` is the ``.code`` of the error the single
    write (``terminate``, ``extend_lease``) would have raised for it,
    ``reason`` that error's message, and ``task`` the task as the store saw it
    (``None`` when gone)."""

    task_id: str
    outcome: BatchOutcome
    task: Task | None = None
    code: str = ""
    reason: str = ""


@dataclass(frozen=True)
class Page(Generic[Row]):
    """One page of a keyset-paginated listing (tasks, or audit records); ``cursor``
    is ``None`` on the last page.

    ``examined`` is set by a payload search (``list_tasks`` with a ``data``
    filter) only: how many tasks of the topic's range the call read to find
    ``data``. Such a page may be short, even empty, with a ``cursor``: the
    search is not finished until ``cursor`` is ``None``."""

    data: list[Row]
    cursor: Mapping[str, Any] | None
    examined: int | None = None


@dataclass(frozen=True)
class TopicStats:
    """The console's summary of one topic.

    ``counts`` has every status as key (zeros included); ``expired_leases`` counts
    ``running`` tasks whose lease has ended by the store's clock;
    ``oldest_starting_at`` is the ``created_at`` of the oldest ``starting`` task.
    """

    topic: str
    counts: Mapping[TaskStatus, int]
    expired_leases: int
    oldest_starting_at: int | None


@dataclass(frozen=True)
class TopicPause:
    """A paused topic (``pause_topic``): nothing of it is reserved until
    ``until_ms`` (epoch ms, the store's clock; ``None``: until resumed).
    ``paused_at`` is the store's clock when it was paused, ``paused_by`` the
    operator who paused it (``user@host``; ``""`` for a store without one)."""

    topic: str
    paused_at: int
    until_ms: int | None
    reason: str
    paused_by: str

    def left_ms(self, now_ms: int) -> int | None:
        """How long the pause still lasts at ``now_ms``; ``None`` for one that lasts until resumed."""
        return None if self.until_ms is None else max(self.until_ms - now_ms, 0)


@dataclass(frozen=True)
class RateBucket:
    """One bucket of a topic's rates (``rates``): what happened to its tasks from
    ``start_ms`` (epoch ms, the store's clock, a multiple of the bucket's width)
    for one width. ``terminated`` is "finished"."""

    start_ms: int
    created: int = 0
    terminated: int = 0
    failed: int = 0
    snoozed: int = 0


@dataclass(frozen=True)
class TopicRates:
    """A topic's rates over a window (``rates``): ``buckets`` oldest first, every
    bucket of the window present (zeros filled), the last one the current,
    still-filling bucket; ``width_ms`` 60,000 or 600,000; ``now_ms`` the store's
    clock when read."""

    topic: str
    width_ms: int
    buckets: tuple[RateBucket, ...]
    now_ms: int


@dataclass(frozen=True)
class StoreIdentity:
    """Who a namespace is: a random ``store_id`` (16 hex characters) and
    ``created_at`` (epoch ms, store clock), written with the namespace's schema
    marker when it is created (or, for a namespace made before identities, on
    its next writable open).

    A store that was wiped (a Redis restarted without persistence, a schema
    dropped and made again) no longer has the identity its clients saw: it is
    gone, or another one. ``Store.identity()`` reads it."""

    store_id: str
    created_at: int


@dataclass(frozen=True)
class DurabilityCheck:
    """One server setting that decides whether acknowledged writes survive a crash.

    ``ok`` is False when the setting puts writes at risk; ``risk`` says, in one
    sentence, what is at risk then (empty when ``ok``)."""

    setting: str
    value: str
    ok: bool
    risk: str = ""


@dataclass(frozen=True)
class FailureGroup:
    """The failed tasks of a topic that share an error key (``stores.failures.error_key``:
    the error's first line; a Python traceback's last line, its exception),
    among the failures a ``failure_groups`` call read.

    ``first_seen_ms`` / ``last_seen_ms`` are the oldest and newest ``updated_at``
    (the moment each failed) in the group; ``sample_task_id`` is its newest task."""

    error_key: str
    count: int
    first_seen_ms: int
    last_seen_ms: int
    sample_task_id: str


@dataclass(frozen=True)
class FailureGroups:
    """What ``failure_groups`` found: at most ``limit`` groups, most tasks first.

    Only the newest ``scan_limit`` failed tasks of the topic are read: ``scanned``
    is how many were, and ``complete`` is False when the topic has older failures
    that were not (the groups then describe "the latest ``scanned`` failures").
    ``group_count`` counts every group found in the scan, shown or not."""

    topic: str
    groups: tuple[FailureGroup, ...]
    scanned: int
    scan_limit: int
    complete: bool
    group_count: int
