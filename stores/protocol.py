"""The store contract as typing protocols, and its constants (from ``stores.constants``).

``TaskStore`` and ``LeaseSupervision`` are sokka's two protocols
(``verbo.sokka.task``) renamed to Python conventions; ``Store`` is everything a
store from ``stores.open_store`` offers, which is what the console and the
``sokka`` command use. Each method's docstring in ``stores.base.BaseStore``
says what it raises and when; README.md ("The store library") describes the
behaviour, and ``tests/stores`` is the conformance suite every backend passes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from types import TracebackType
from typing import Any, Literal, Protocol, runtime_checkable

from stores.audit import AuditEntry, Operator
from stores.bulk import BulkItem, BulkResult
from stores.constants import (
    ALLOWED_TRANSITIONS,
    DEFAULT_LEASE_TIME_MS,
    DEFAULT_NAMESPACE,
    DEFAULT_PAGE_LIMIT,
    DEFAULT_SNOOZE_TIME_MS,
    DEFAULT_TIMEOUT_S,
    FINAL_STATUSES,
    LEASED_STATUSES,
    MAX_PAGE_LIMIT,
    RATE_RESOLUTIONS,
    TASK_STATUSES,
    can_transition,
)
from stores.model import (
    BatchResult,
    DurabilityCheck,
    FailureGroups,
    Page,
    StoreIdentity,
    Task,
    TopicPause,
    TopicRates,
    TopicStats,
)
from stores.options import StoreOptions

# The constants live in ``stores.constants`` (which the modules this one names
# import); they are re-exported here, where the contract's readers look for them.
__all__ = [
    "ALLOWED_TRANSITIONS",
    "DEFAULT_LEASE_TIME_MS",
    "DEFAULT_NAMESPACE",
    "DEFAULT_PAGE_LIMIT",
    "DEFAULT_SNOOZE_TIME_MS",
    "DEFAULT_TIMEOUT_S",
    "FINAL_STATUSES",
    "LEASED_STATUSES",
    "MAX_PAGE_LIMIT",
    "RATE_RESOLUTIONS",
    "TASK_STATUSES",
    "LeaseSupervision",
    "Store",
    "TaskStore",
    "can_transition",
]

@runtime_checkable
class TaskStore(Protocol):
    """sokka's ``TaskStore``. Every write takes an optional ``record_ver=`` (MVCC)."""

    def create_task(self, task: Mapping[str, Any]) -> Task: ...
    def create_tasks(self, tasks: Iterable[Mapping[str, Any]]) -> list[Task]: ...
    def task(self, task_id: str) -> Task | None: ...
    def tasks(self, task_group_id: str) -> list[Task]: ...
    def list_tasks(
        self, filters: Mapping[str, Any] | None = None, cursor: Mapping[str, Any] | None = None
    ) -> Page[Task]: ...
    def reserve_task(self, topic: str, pid: str) -> Task | None: ...
    def extend_lease(
        self, task_id: str, pid: str, *, record_ver: int | None = None
    ) -> Literal["ok"]: ...
    def terminate(self, task_id: str, pid: str | None, *, record_ver: int | None = None) -> Task: ...
    def fail(
        self,
        task_id: str,
        pid: str | None,
        error: str | None = None,
        *,
        record_ver: int | None = None,
    ) -> Task: ...
    def snooze(
        self,
        task_id: str,
        pid: str | None,
        snooze_ms: int | None = None,
        *,
        record_ver: int | None = None,
    ) -> Task: ...
    def revoke_lease(self, task_id: str, record_ver: int) -> Task: ...
    def topics(self) -> list[TopicStats]: ...
    def now_ms(self) -> int: ...
    def close(self) -> None: ...


@runtime_checkable
class LeaseSupervision(Protocol):
    """sokka's ``LeaseSupervision``: the leased (``running``/``snoozed``) tasks."""

    def list_leased_tasks(
        self, topic: str | None = None, cursor: Mapping[str, Any] | None = None
    ) -> Page[Task]: ...


@runtime_checkable
class Store(TaskStore, LeaseSupervision, Protocol):
    """What ``stores.open_store`` returns: sokka's two protocols, the options the
    store was opened with, and the console's capabilities beyond sokka (bulk
    writes, the audit trail, retention, pausing a topic). A context manager that closes it."""

    @property
    def options(self) -> StoreOptions: ...
    @property
    def namespace(self) -> str: ...
    @property
    def read_only(self) -> bool: ...
    @property
    def read_only_reason(self) -> str | None: ...
    @property
    def warnings(self) -> tuple[str, ...]: ...
    @property
    def lease_time_ms(self) -> int: ...
    @property
    def snooze_time_ms(self) -> int: ...
    @property
    def operator(self) -> Operator | None: ...

    def apply_bulk(
        self,
        action: str,
        items: Sequence[BulkItem],
        *,
        error: str | None = None,
        snooze_ms: int | None = None,
        batch_id: str | None = None,
    ) -> list[BulkResult]: ...
    def reserve_tasks(self, topic: str, pid: str, max_tasks: int) -> list[Task]: ...
    def terminate_many(self, items: Iterable[tuple[str, int]], pid: str) -> list[BatchResult]: ...
    def extend_leases(self, pid: str, task_ids: Iterable[str]) -> list[BatchResult]: ...
    def rerun_task(self, task_id: str, record_ver: int) -> Task: ...
    def failure_groups(
        self, topic: str, *, limit: int = ..., scan_limit: int = ...
    ) -> FailureGroups: ...
    def audit_log(
        self, task_id: str | None = None, cursor: Mapping[str, Any] | None = None
    ) -> Page[AuditEntry]: ...
    def purge_tasks(
        self,
        older_than_ms: int,
        statuses: Iterable[str] = ("terminated", "failed"),
        topic: str | None = None,
        batch_size: int = 1_000,
    ) -> int: ...
    def pause_topic(
        self, topic: str, until_ms: int | None = None, *, for_ms: int | None = None, reason: str | None = ""
    ) -> TopicPause: ...
    def resume_topic(self, topic: str) -> TopicPause | None: ...
    def paused_topics(self) -> list[TopicPause]: ...
    def rates(self, topic: str | None = None, *, resolution: str = "minute") -> list[TopicRates]: ...
    def identity(self) -> StoreIdentity | None: ...
    def durability(self) -> list[DurabilityCheck]: ...
    def __enter__(self) -> Store: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None: ...
