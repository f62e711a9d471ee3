"""What every backend shares: options, argument checks, the read-only guard, paging.

A backend subclasses ``BaseStore`` and implements the ``_``-prefixed primitives;
the public methods here check their arguments first, so every backend refuses
the same input with the same error before any server is asked.
"""

from __future__ import annotations

import abc
import secrets
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Self, TypeVar

import stores.validation as v
from stores.audit import AuditContext, AuditEntry, audit_key
from stores.batch import check_max_tasks, check_task_ids, check_versions
from stores.bulk import BULK_CHUNK, BulkAction, BulkItem, BulkOutcome, BulkResult, outcome_of
from stores.constants import FINAL_STATUSES
from stores.errors import (
    InvalidArgument,
    InvalidStatus,
    InvalidStatusTransition,
    InvalidTask,
    ReadOnlyStore,
    StoreUnavailable,
    TaskAlreadyExists,
    TaskConcurrentlyUpdated,
    TaskNotFound,
    WrongOwner,
)
from stores.failures import DEFAULT_GROUP_LIMIT, DEFAULT_SCAN_LIMIT, check_group_args
from stores.identity import ASKED_READ_ONLY
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
from stores.rates import check_resolution
from stores.rules import Write
from stores.validation import Cursor

#: Rows sent to a server in one round trip by ``create_tasks``.
CREATE_BATCH_SIZE = 1_000
#: The most time one call of a payload search may take on the server, in
#: seconds: past it the server stops the read and the call raises
#: ``StoreUnavailable``. The default scan limit takes well under it.
SEARCH_TIME_LIMIT_S = 2.0
#: Tries of a conditional write that missed while the rules found nothing wrong
#: with the task: it changed between the write and the read that diagnosed it.
WRITE_ATTEMPTS = 3

Result = TypeVar("Result")


@dataclass(frozen=True)
class SearchWindow:
    """What a backend's ``_search`` read: the rows of the topic's range after the
    cursor, newest first, at most the scan limit of them (its window).

    ``matches``: the first rows of the window that meet the payload conditions
    (at most the page's limit), each as ``(position, key, task)``: its place in
    the window (1 for the first row read), its ``list_key`` as found in the
    range, the task. ``examined``: the rows in the window; ``last``: the key of
    its last row (``None`` when empty); ``ended``: the range has no row after
    the window."""

    matches: list[tuple[int, tuple[int, str], Task]]
    examined: int
    last: tuple[int, str] | None
    ended: bool


def list_key(task: Task) -> tuple[int, str]:
    """The sort key of ``list_tasks`` (descending): newest ``updated_at`` first."""
    return (task.updated_at, task.task_id)


def leased_key(task: Task) -> tuple[int, str]:
    """The sort key of ``list_leased_tasks`` (ascending): soonest expiry first."""
    return (task.lease_expires_at or 0, task.task_id)


class BaseStore(abc.ABC):
    """The public protocol over a backend's primitives. Thread-safe if they are."""

    scheme: str = ""

    def __init__(self, options: StoreOptions) -> None:
        self.options = options
        self.lease_time_ms = options.lease_time_ms
        self.snooze_time_ms = options.snooze_time_ms
        self.namespace = options.namespace
        self.read_only = options.read_only
        self.operator = options.operator
        self._read_only_reason = ASKED_READ_ONLY if options.read_only else None
        self._warnings: tuple[str, ...] = ()
        self._bulk_run = threading.local()  # the batch id of the apply_bulk call in this thread

    # -- lifecycle ---------------------------------------------------------
    @classmethod
    @abc.abstractmethod
    def open(cls, url: str, options: StoreOptions) -> Self:
        """Open the store at ``url`` (its scheme is this backend's). Raises
        ``InvalidArgument`` for a URL it cannot use and ``StoreUnavailable``."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        mode = " read-only" if self.read_only else ""
        return f"<{type(self).__name__} namespace={self.namespace!r}{mode}>"

    @property
    def read_only_reason(self) -> str | None:
        """Why this store is read-only: ``"opened read-only"`` when the caller
        asked for it, a short reason when the server's credentials may only
        read (found when opening, before anything was written:
        ``stores.identity`` has the wordings); ``None`` when it may write.
        Raises nothing."""
        return self._read_only_reason

    @property
    def warnings(self) -> tuple[str, ...]:
        """What opening found worth telling the operator, one sentence each
        (e.g. a Redis password the server ignored); ``()`` normally. Raises nothing."""
        return self._warnings

    def _may_only_read(self, reason: str) -> None:
        """Make this store read-only because its credentials or server allow no
        more (found when opening): every write then raises ``ReadOnlyStore``
        before it is sent, as with ``read_only=True``."""
        self.read_only = True
        if self._read_only_reason is None:
            self._read_only_reason = reason

    def _warn(self, warning: str) -> None:
        self._warnings = (*self._warnings, warning)

    def _writable(self, what: str) -> None:
        if self.read_only:
            reason = self._read_only_reason
            why = f" ({reason})" if reason and reason != ASKED_READ_ONLY else ""
            raise ReadOnlyStore(f"This store is open read-only{why}, so it cannot {what}.")

    def _audit_context(self) -> AuditContext | None:
        """Who the write now being made is recorded for, or ``None`` (no operator)."""
        if self.operator is None:
            return None
        return AuditContext(self.operator, getattr(self._bulk_run, "batch_id", None))

    # -- TaskStore ---------------------------------------------------------
    def create_task(self, task: Mapping[str, Any]) -> Task:
        """Create one task in ``starting``. Raises ``InvalidTask``, ``TaskAlreadyExists``,
        ``ReadOnlyStore``, ``StoreUnavailable``."""
        new = v.validate_new_task(task)
        self._writable("create tasks")
        return self._insert([new])[0]

    def create_tasks(self, tasks: Iterable[Mapping[str, Any]]) -> list[Task]:
        """Create many tasks, at most one round trip per batch of ``CREATE_BATCH_SIZE``
        (PostgreSQL streams one ``COPY`` for the whole call).

        All or nothing: every task is checked before anything is written, and one
        transaction (Redis: one script per topic after claiming every id) writes
        them. Raises as ``create_task`` does; ``TaskAlreadyExists`` also for an id
        given twice in ``tasks``."""
        if isinstance(tasks, (str, bytes, Mapping)) or not isinstance(tasks, Iterable):
            raise InvalidTask(f"create_tasks takes an iterable of task mappings, not {type(tasks).__name__}.")
        news = [v.validate_new_task(task) for task in tasks]
        seen: set[str] = set()
        for new in news:
            if new.task_id in seen:
                raise TaskAlreadyExists(
                    f"Task id {new.task_id!r} appears twice in one batch.", task_id=new.task_id
                )
            seen.add(new.task_id)
        self._writable("create tasks")
        return self._insert(news) if news else []

    def task(self, task_id: str) -> Task | None:
        """The task, or ``None``. Raises ``InvalidArgument``, ``StoreUnavailable``."""
        return self._get(v.check_task_id(task_id))

    def tasks(self, task_group_id: str) -> list[Task]:
        """Every task of the group, oldest first; ``[]`` when none."""
        _ = v.check_task_id(task_group_id)
        return self._group(task_group_id)

    def list_tasks(
        self, filters: Mapping[str, Any] | None = None, cursor: Mapping[str, Any] | None = None
    ) -> Page[Task]:
        """One keyset page of tasks matching ``filters``, newest ``updated_at`` first.

        With a ``data`` filter (payload conditions, ``stores.payload``; a topic
        is then required) the call is a bounded search: it reads at most the
        cursor's ``scan_limit`` tasks of the topic's range (default
        ``DEFAULT_SCAN_LIMIT``; other filters narrow the range), newest first,
        and returns the matches among them (at most ``limit``), with
        ``Page.examined``: how many it read. The page may be short or empty
        while ``cursor`` is not ``None``: call again with it, it goes on after
        the last task read, until ``cursor`` is ``None`` at the end of the range.
        A call's time on the server is bounded too (``SEARCH_TIME_LIMIT_S``).

        Raises ``InvalidArgument`` for an unknown filter, a bad payload condition
        or a cursor this store did not return, ``StoreUnavailable`` (also when a
        search call overran its time limit)."""
        checked_filters = v.check_filters(filters)
        checked_cursor = v.check_cursor(cursor)
        if checked_filters.data:
            return self._search_page(checked_filters, checked_cursor)
        rows = self._list(checked_filters, checked_cursor)
        return Page(rows[: checked_cursor.limit], v.next_cursor(checked_cursor.limit, rows, list_key))

    def _search_page(self, filters: v.TaskFilters, cursor: Cursor) -> Page[Task]:
        """One call of a payload search: the page, its cursor and ``examined``
        from the backend's window. The cursor goes on after the last row read,
        or after the last match when the page filled before the window's end,
        so no call reads a row another one read."""
        window = self._search(filters, cursor.after, cursor.limit, cursor.scan_limit)
        ended = window.ended
        found = window.matches[: cursor.limit]
        after: tuple[int, str] | None
        if len(found) == cursor.limit:
            examined, after, _ = found[-1]
            if ended and examined == window.examined:
                after = None
        else:
            examined, after = window.examined, None if ended else window.last
        next_cursor = None if after is None else {
            "limit": cursor.limit, "after": list(after), "scan_limit": cursor.scan_limit}
        return Page([task for _, _, task in found], next_cursor, examined)

    def list_leased_tasks(
        self, topic: str | None = None, cursor: Mapping[str, Any] | None = None
    ) -> Page[Task]:
        """One keyset page of ``running`` and ``snoozed`` tasks, soonest expiry first."""
        if topic is not None:
            v.check_topic(topic)
        checked = v.check_cursor(cursor)
        rows = self._list_leased(topic, checked)
        return Page(rows[: checked.limit], v.next_cursor(checked.limit, rows, leased_key))

    def reserve_task(self, topic: str, pid: str) -> Task | None:
        """Lease the oldest reservable task of ``topic`` to ``pid``, or return ``None``.

        Raises ``InvalidArgument``, ``ReadOnlyStore``, ``StoreUnavailable``."""
        v.check_topic(topic)
        v.check_pid(pid, optional=False)
        if self.read_only:  # as _checked_write: a worker reserves once a task
            self._writable("reserve tasks")
        return self._reserve(topic, pid)

    def extend_lease(
        self, task_id: str, pid: str, *, record_ver: int | None = None
    ) -> Literal["ok"]:
        """Renew the lease to now + ``lease_time_ms``. Raises, in this order,
        ``TaskNotFound``, ``TaskConcurrentlyUpdated``, ``AlreadyDone``,
        ``InvalidStatus``, ``WrongOwner``, ``LeaseExpired``."""
        v.check_task_id(task_id)
        v.check_pid(pid, optional=False)
        v.check_record_ver(record_ver, optional=True)
        self._writable("extend leases")
        self._extend(task_id, pid, record_ver)
        return "ok"

    def terminate(self, task_id: str, pid: str | None, *, record_ver: int | None = None) -> Task:
        """Mark the task ``terminated`` (done). Raises ``TaskNotFound``,
        ``TaskConcurrentlyUpdated``, ``InvalidStatusTransition``, ``WrongOwner``."""
        return self._checked_write(task_id, Write.TERMINATE, pid, record_ver)

    def fail(
        self,
        task_id: str,
        pid: str | None,
        error: str | None = None,
        *,
        record_ver: int | None = None,
    ) -> Task:
        """Mark the task ``failed`` with ``error`` (empty text when none). Raises as
        ``terminate`` does, and ``InvalidArgument`` for an error that is not text."""
        return self._checked_write(
            task_id, Write.FAIL, pid, record_ver, error=v.check_error_text(error)
        )

    def snooze(
        self,
        task_id: str,
        pid: str | None,
        snooze_ms: int | None = None,
        *,
        record_ver: int | None = None,
    ) -> Task:
        """Put a ``running`` task to sleep for ``snooze_ms`` (default ``snooze_time_ms``).
        Raises as ``terminate`` does, and ``InvalidArgument`` for a ``snooze_ms``
        that is not a positive whole number."""
        snooze_ms = self.snooze_time_ms if snooze_ms is None else snooze_ms
        return self._checked_write(
            task_id, Write.SNOOZE, pid, record_ver,
            snooze_ms=v.check_duration_ms("snooze_ms", snooze_ms),
        )

    # -- batched leases (beyond sokka: the worker's concurrency and prefetch) --
    def reserve_tasks(self, topic: str, pid: str, max_tasks: int) -> list[Task]:
        """Lease up to ``max_tasks`` reservable tasks of ``topic`` to ``pid``, each
        its own lease (now + ``lease_time_ms``), in the order ``reserve_task``
        would take them one by one: ``[]`` when there is none (or the topic is
        paused). One statement (PostgreSQL, ``SKIP LOCKED``), one script
        (Redis), one transaction (SQLite). Raises ``InvalidArgument``
        (``max_tasks`` outside 1..``MAX_BATCH``), ``ReadOnlyStore``,
        ``StoreUnavailable``."""
        v.check_topic(topic)
        v.check_pid(pid, optional=False)
        count = check_max_tasks(max_tasks)
        self._writable("reserve tasks")
        return self._reserve_many(topic, pid, count)

    def terminate_many(self, items: Iterable[tuple[str, int]], pid: str) -> list[BatchResult]:
        """``terminate`` each ``(task_id, record_ver)`` as ``pid``, in one round trip
        (Redis: one script per topic, pipelined on one server), one
        ``BatchResult`` per item in order. Each task is checked as ``terminate``
        with ``record_ver=`` checks it (not found, version, transition, owner);
        a task whose check fails is left as it is (``gone``, ``changed``,
        ``wrong_owner``), the others are terminated, audited and counted as
        single writes are. Raises ``InvalidArgument`` (a bad pair, a task given
        twice, more than ``MAX_BATCH``), ``ReadOnlyStore``, ``StoreUnavailable``
        (then every task of the batch was written, or none: PostgreSQL and
        SQLite; on Redis each topic's part)."""
        checked = check_versions(items)
        v.check_pid(pid, optional=False)
        self._writable("terminate tasks")
        return self._terminate_many(checked, pid) if checked else []

    def extend_leases(self, pid: str, task_ids: Iterable[str]) -> list[BatchResult]:
        """Renew the leases of ``task_ids`` held by ``pid`` to now + ``lease_time_ms``,
        in one round trip (as ``terminate_many``), one ``BatchResult`` per task
        in order; ``ok`` carries the task after the extension (its new
        ``record_ver``). Each task is checked as ``extend_lease`` checks it:
        not found (``gone``), already done, not running, lease expired
        (``changed``), another owner (``wrong_owner``); those are left as they
        are. Raises ``InvalidArgument``, ``ReadOnlyStore``, ``StoreUnavailable``."""
        v.check_pid(pid, optional=False)
        checked = check_task_ids(task_ids)
        self._writable("extend leases")
        return self._extend_many(pid, checked) if checked else []

    def revoke_lease(self, task_id: str, record_ver: int) -> Task:
        """Force a ``running`` or ``snoozed`` task back to ``starting``, only at
        ``record_ver``. Raises ``TaskNotFound``, ``TaskConcurrentlyUpdated``,
        ``InvalidStatusTransition``."""
        v.check_task_id(task_id)
        v.check_record_ver(record_ver, optional=False)
        self._writable("revoke leases")
        return self._revoke(task_id, record_ver)

    def apply_bulk(
        self,
        action: str,
        items: Sequence[BulkItem],
        *,
        error: str | None = None,
        snooze_ms: int | None = None,
        batch_id: str | None = None,
    ) -> list[BulkResult]:
        """Apply ``action`` (terminate, fail, snooze, revoke, rerun) to every item, each
        only at its ``record_ver`` (and, but for revoke and rerun, its ``pid``), in
        bounded chunks. A rerun's result carries the new task; each re-run is
        atomic on its own (``rerun_task``), not the chunk.

        Returns one ``BulkResult`` per item, in order: done, skipped (changed since
        marked), refused (its status does not allow it) or gone. Raises
        ``InvalidArgument``, ``ReadOnlyStore``, and ``StoreUnavailable`` (the chunk
        in flight is then either fully written or not at all).

        With an operator, every write is recorded under ``batch_id`` (a new one
        when not given); a caller that splits one run into several calls passes
        the same ``batch_id`` to each."""
        try:
            bulk_action = BulkAction(action)
        except ValueError:
            raise InvalidArgument(f"Unknown bulk action {action!r}.") from None
        items = list(items)
        if not all(isinstance(item, BulkItem) for item in items):
            raise InvalidArgument("apply_bulk takes BulkItem objects, each task once.")
        for item in items:  # checked before the set below hashes the ids
            v.check_task_id(item.task_id)
            v.check_record_ver(item.record_ver, optional=False)
            v.check_pid(item.pid, optional=True)
        if len({item.task_id for item in items}) != len(items):
            raise InvalidArgument("apply_bulk takes BulkItem objects, each task once.")
        if snooze_ms is None:
            snooze_ms = self.snooze_time_ms
        v.check_duration_ms("snooze_ms", snooze_ms)
        error = v.check_error_text(error)
        if batch_id is not None:
            v.check_batch_id(batch_id)
        self._writable(f"{bulk_action} tasks")
        results: list[BulkResult] = []
        self._bulk_run.batch_id = batch_id or secrets.token_hex(8)
        try:
            for start in range(0, len(items), BULK_CHUNK):
                chunk = items[start : start + BULK_CHUNK]
                if bulk_action is BulkAction.RERUN:
                    results.extend(self._rerun_each(chunk))
                else:
                    results.extend(self._apply_bulk(bulk_action, chunk, error=error, snooze_ms=snooze_ms))
        finally:
            self._bulk_run.batch_id = None
        return results

    def _rerun_each(self, items: list[BulkItem]) -> list[BulkResult]:
        """A chunk of re-runs: each one atomic on its own (a new task and its two
        audit records, or nothing), as ``rerun_task`` makes it."""
        results = []
        for item in items:
            try:
                task = self._rerun(item.task_id, item.record_ver)
            except (TaskNotFound, TaskConcurrentlyUpdated, InvalidStatus) as exc:
                results.append(BulkResult(item.task_id, outcome_of(exc), str(exc)))
            else:
                results.append(BulkResult(item.task_id, BulkOutcome.DONE, f"Re-run as {task.task_id}.", task))
        return results

    def _apply_bulk(
        self, action: BulkAction, items: list[BulkItem], *, error: str, snooze_ms: int
    ) -> list[BulkResult]:
        """One chunk. This default sends one MVCC-checked write per item; backends
        that can do a chunk in one round trip override it."""
        results = []
        for item in items:
            try:
                if action is BulkAction.REVOKE:
                    task = self._revoke(item.task_id, item.record_ver)
                else:
                    task = self._write(
                        item.task_id, Write(action.value), item.pid, item.record_ver,
                        error=error, snooze_ms=snooze_ms,
                    )
            except (TaskNotFound, TaskConcurrentlyUpdated, InvalidStatusTransition, WrongOwner) as exc:
                results.append(BulkResult(item.task_id, outcome_of(exc), str(exc)))
            else:
                results.append(BulkResult(item.task_id, BulkOutcome.DONE, task=task))
        return results

    def rerun_task(self, task_id: str, record_ver: int) -> Task:
        """Re-run a ``failed`` or ``terminated`` task, only at ``record_ver``: create a
        new task (``starting``) with its topic, sub-topic, data, group and timeout,
        described as ``"re-run of <id>: <description>"`` (``stores.failures``), and
        return it. The original is left as it is: failed stays final.

        Atomic: with an operator, the audit trail records a ``rerun`` on the
        original (detail: the new id) and the ``create`` of the new task (detail:
        the original's id) in the same transaction (Redis: script) as the insert.
        Raises ``TaskNotFound``, ``TaskConcurrentlyUpdated``, ``InvalidStatus`` (not
        failed or terminated), ``InvalidArgument``, ``ReadOnlyStore``,
        ``StoreUnavailable``."""
        v.check_task_id(task_id)
        v.check_record_ver(record_ver, optional=False)
        self._writable("re-run tasks")
        return self._rerun(task_id, record_ver)

    def failure_groups(
        self, topic: str, *, limit: int = DEFAULT_GROUP_LIMIT, scan_limit: int = DEFAULT_SCAN_LIMIT
    ) -> FailureGroups:
        """The failed tasks of ``topic`` grouped by error key (``stores.failures.error_key``:
        the first line; a Python traceback's exception), most tasks first (then
        the most recent), at most ``limit`` groups.

        Bounded: only the newest ``scan_limit`` failures (by ``updated_at``) are
        read, in one statement (Redis: one read-only script); ``complete`` is
        False when older ones exist. Raises ``InvalidArgument``, ``StoreUnavailable``."""
        checked_topic, checked_limit, checked_scan = check_group_args(topic, limit, scan_limit)
        return self._failure_groups(checked_topic, checked_limit, checked_scan)

    def audit_log(
        self, task_id: str | None = None, cursor: Mapping[str, Any] | None = None
    ) -> Page[AuditEntry]:
        """One keyset page of the audit trail (``AuditEntry`` objects), newest
        first; only ``task_id``'s records when given. Raises ``InvalidArgument``,
        ``StoreUnavailable``."""
        if task_id is not None:
            v.check_task_id(task_id)
        checked = v.check_cursor(cursor)
        rows = self._audit_log(task_id, checked)
        return Page(rows[: checked.limit], v.next_cursor(checked.limit, rows, audit_key))

    def topics(self) -> list[TopicStats]:
        """Every topic that has tasks, by name, with counts read from maintained
        counters (never a scan of finished tasks)."""
        return self._topics()

    # -- pausing a topic (beyond sokka: the console's and the ops command's) --
    def pause_topic(
        self,
        topic: str,
        until_ms: int | None = None,
        *,
        for_ms: int | None = None,
        reason: str | None = "",
    ) -> TopicPause:
        """Pause ``topic``: from now on ``reserve_task`` on it returns ``None``, for
        every worker of every process, until ``until_ms`` (epoch ms, the store's
        clock), or for ``for_ms`` from now by the store's clock, or, when neither
        is given, until ``resume_topic``. A pause whose end has passed (by the
        store's clock) is no pause: it ends by itself, nobody needs to resume it.

        Running tasks keep their leases (they may still be extended, terminated,
        failed, snoozed) and tasks may still be created. The check is part of the
        reservation itself (PostgreSQL: its statement; Redis: its script; SQLite:
        its transaction): a reservation that starts after this returns never
        takes a task of the topic. Pausing a paused topic replaces its pause
        (end, reason). The topic need not have tasks yet.

        Recorded in the audit trail (action ``pause``, a topic record: ``task_id``
        ``""``, detail ``stores.audit.pause_detail``) when the store has an
        operator. Returns the pause as stored. Raises ``InvalidArgument`` (both
        ``until_ms`` and ``for_ms``, a bad time, duration, topic or reason),
        ``ReadOnlyStore``, ``StoreUnavailable``."""
        v.check_topic(topic)
        if until_ms is not None and for_ms is not None:
            raise InvalidArgument("Give until_ms or for_ms, not both.")
        if until_ms is not None:
            v.check_time_ms("until_ms", until_ms)
        if for_ms is not None:
            v.check_duration_ms("for_ms", for_ms)
        checked_reason = v.check_pause_reason(reason)
        self._writable("pause topics")
        return self._pause(topic, until_ms, for_ms, checked_reason)

    def resume_topic(self, topic: str) -> TopicPause | None:
        """Lift the pause of ``topic``: its tasks may be reserved again at once.
        Returns the pause lifted, or ``None`` when the topic was not paused (or
        its pause had already ended): nothing is then recorded.

        Recorded in the audit trail (action ``resume``, a topic record) when it
        lifted a pause and the store has an operator. Raises
        ``InvalidArgument``, ``ReadOnlyStore``, ``StoreUnavailable``."""
        v.check_topic(topic)
        self._writable("resume topics")
        return self._resume(topic)

    def paused_topics(self) -> list[TopicPause]:
        """The topics paused now (by the store's clock), by name: one small read.
        A read-only store may ask. Raises ``StoreUnavailable``."""
        return self._paused()

    # -- rates over time (beyond sokka: the console's topics screen, sokka rates) --
    def rates(self, topic: str | None = None, *, resolution: str = "minute") -> list[TopicRates]:
        """Tasks created, terminated ("finished"), failed and snoozed per bucket
        over a window, per topic: ``resolution`` ``"minute"`` (the last 60
        one-minute buckets) or ``"10min"`` (the last 144 ten-minute buckets),
        the current bucket included, judged on the store's clock
        (``stores.constants.RATE_RESOLUTIONS``). Every bucket of the window is
        present, oldest first (``stores.rates.assemble``).

        ``topic`` ``None``: every topic with any bucket in the window, by name;
        a topic: a list of one ``TopicRates`` (zeros when nothing happened).
        Counted by the write itself, in its statement, transaction or script:
        create_task(s) and rerun_task (created), terminate, fail, snooze and
        their bulk forms; a revoke is not counted. Old buckets expire, so what
        is kept stays O(topics x buckets). A read-only store may ask. Raises
        ``InvalidArgument`` (a bad topic or resolution), ``StoreUnavailable``."""
        if topic is not None:
            v.check_topic(topic)
        width_ms, buckets = check_resolution(resolution)
        return self._rates(topic, width_ms, buckets)

    @abc.abstractmethod
    def _rates(self, topic: str | None, width_ms: int, buckets: int) -> list[TopicRates]:
        """``rates`` for a checked topic (``None``: all) and resolution."""

    @property
    def _paused_by(self) -> str:
        """``paused_by`` of a pause this store makes: its operator's ``user@host``, or ``""``."""
        return self.operator.label if self.operator is not None else ""

    def _pause_at(self, topic: str, now: int, until_ms: int | None, for_ms: int | None, reason: str) -> TopicPause:
        """The pause a SQL backend writes at the store's ``now``: its end is
        ``until_ms``, else ``now + for_ms``, else none (Redis: pause.lua says it)."""
        until = until_ms if until_ms is not None else (now + for_ms if for_ms is not None else None)
        return TopicPause(topic, now, until, reason, self._paused_by)

    @abc.abstractmethod
    def _pause(self, topic: str, until_ms: int | None, for_ms: int | None, reason: str) -> TopicPause:
        """Store the pause (replacing one) and its audit record in one transaction
        (Redis: one script); the end is ``until_ms``, else the store's now +
        ``for_ms``, else none."""

    @abc.abstractmethod
    def _resume(self, topic: str) -> TopicPause | None:
        """Delete the topic's pause; record and return it if it was still on."""

    @abc.abstractmethod
    def _paused(self) -> list[TopicPause]:
        """The pauses still on by the store's clock, by topic."""

    def _checked_write(
        self,
        task_id: str,
        write: Write,
        pid: str | None,
        record_ver: int | None,
        *,
        error: str = "",
        snooze_ms: int = 0,
    ) -> Task:
        v.check_task_id(task_id)
        v.check_pid(pid, optional=True)
        v.check_record_ver(record_ver, optional=True)
        if self.read_only:  # the message only then: a worker writes twice a task
            self._writable(f"{write} tasks")
        return self._write(task_id, write, pid, record_ver, error=error, snooze_ms=snooze_ms)

    @staticmethod
    def _write_until_settled(
        task_id: str,
        attempt: Callable[[], Result | None],
        diagnose: Callable[[], object],
        *,
        unchanged: str = "nothing was written",
    ) -> Result:
        """A conditional write whose condition holds the rules of ``stores.rules``:
        ``attempt()`` writes and returns its result, or ``None`` when the condition
        did not hold; only then does ``diagnose()`` read the task as it is now and
        raise the protocol's error for it. When it raises nothing the task changed
        in between, and the write is tried again (``WRITE_ATTEMPTS`` in all).
        Raises ``StoreUnavailable`` ("..., ``unchanged``") when it kept changing."""
        for _ in range(WRITE_ATTEMPTS):
            result = attempt()
            if result is not None:
                return result
            diagnose()
        raise StoreUnavailable(f"Task {task_id!r} kept changing; {unchanged}.")

    # -- the store itself (beyond sokka: the console's doctor and the worker) --
    @abc.abstractmethod
    def identity(self) -> StoreIdentity | None:
        """The namespace's identity as stored now (one cheap read of its marker),
        or ``None`` when there is none: the marker is gone (a Redis restarted
        without persistence, a dropped schema), or the namespace was made before
        identities and has not been opened writable since (a read-only open
        never adds one). Compare it with an earlier read to tell a wiped store
        from an empty one. Raises ``StoreUnavailable`` when the server does not
        answer."""

    @abc.abstractmethod
    def durability(self) -> list[DurabilityCheck]:
        """The server settings that decide whether an acknowledged write survives
        a crash or a restart, each judged (``DurabilityCheck``). Reads settings
        only, so a read-only store may ask. Raises ``StoreUnavailable`` when the
        server does not answer; a setting this user may not read is a check
        with ``ok=False`` and risk ``"unknown"``, not an error."""

    # -- primitives --------------------------------------------------------
    @abc.abstractmethod
    def now_ms(self) -> int:
        """The store's clock, epoch ms. Raises ``StoreUnavailable``."""

    @abc.abstractmethod
    def close(self) -> None:
        """Release connections; the store cannot be used afterwards."""

    @abc.abstractmethod
    def _insert(self, news: list[v.NewTask]) -> list[Task]: ...

    @abc.abstractmethod
    def _get(self, task_id: str) -> Task | None: ...

    @abc.abstractmethod
    def _group(self, task_group_id: str) -> list[Task]: ...

    @abc.abstractmethod
    def _list(self, filters: v.TaskFilters, cursor: v.Cursor) -> list[Task]:
        """Up to ``cursor.limit + 1`` rows after ``cursor.after``, in ``list_key`` order, descending."""

    @abc.abstractmethod
    def _search(
        self, filters: v.TaskFilters, after: tuple[int, str] | None, limit: int, scan_limit: int
    ) -> SearchWindow:
        """The window of a payload search: up to ``scan_limit`` rows of the range of
        ``filters`` (``data`` aside) after ``after``, in ``list_key`` order,
        descending; the first ``limit`` of them meeting ``filters.data``. Read in
        at most ``SEARCH_TIME_LIMIT_S`` (or the store's timeout, if shorter) of
        the server's time, holding no lock. ``ended`` may be False with fewer
        than ``scan_limit`` rows read (Redis stops at the time limit or once
        ``limit`` rows matched)."""

    @abc.abstractmethod
    def _list_leased(self, topic: str | None, cursor: v.Cursor) -> list[Task]:
        """Up to ``cursor.limit + 1`` leased rows after ``cursor.after``, by ``leased_key``."""

    @abc.abstractmethod
    def _reserve(self, topic: str, pid: str) -> Task | None: ...

    @abc.abstractmethod
    def _extend(self, task_id: str, pid: str, record_ver: int | None) -> None: ...

    @abc.abstractmethod
    def _write(
        self,
        task_id: str,
        write: Write,
        pid: str | None,
        record_ver: int | None,
        *,
        error: str,
        snooze_ms: int,
    ) -> Task: ...

    @abc.abstractmethod
    def _reserve_many(self, topic: str, pid: str, max_tasks: int) -> list[Task]:
        """Up to ``max_tasks`` reservations at once, oldest first (``reserve_task``'s order)."""

    @abc.abstractmethod
    def _terminate_many(self, items: list[tuple[str, int]], pid: str) -> list[BatchResult]:
        """``terminate_many`` of checked, distinct items (at least one)."""

    @abc.abstractmethod
    def _extend_many(self, pid: str, task_ids: list[str]) -> list[BatchResult]:
        """``extend_leases`` of checked, distinct ids (at least one)."""

    @abc.abstractmethod
    def _revoke(self, task_id: str, record_ver: int) -> Task: ...

    @abc.abstractmethod
    def _rerun(self, task_id: str, record_ver: int) -> Task:
        """The new task made from the original by ``stores.failures.rerun_of``, after
        ``stores.rules.check_rerun`` found nothing wrong, with its audit records."""

    @abc.abstractmethod
    def _failure_groups(self, topic: str, limit: int, scan_limit: int) -> FailureGroups:
        """``failure_groups`` with checked arguments."""

    @abc.abstractmethod
    def _topics(self) -> list[TopicStats]: ...

    @abc.abstractmethod
    def _audit_log(self, task_id: str | None, cursor: Cursor) -> list[AuditEntry]:
        """Up to ``cursor.limit + 1`` records after ``cursor.after``, by ``audit_key``, descending."""

    # -- retention (beyond sokka: the ops command's purge) ------------------
    def purge_tasks(
        self,
        older_than_ms: int,
        statuses: Iterable[str] = ("terminated", "failed"),
        topic: str | None = None,
        batch_size: int = 1_000,
    ) -> int:
        """Delete up to ``batch_size`` finished tasks whose ``updated_at`` is more than
        ``older_than_ms`` before the store's clock; return how many were deleted.

        One batch, one transaction (Redis: one script per topic): call again
        until it returns less than ``batch_size`` to purge everything. Only final
        statuses may be purged (``terminated``, ``failed``); a task that is
        ``starting``, ``running`` or ``snoozed`` is never touched. Topic counts
        stay right, and a purged task's id may be created again. Raises
        ``InvalidArgument`` (a bad duration, a non-final or unknown status, an
        empty status list, a batch size outside 1..10000), ``ReadOnlyStore``,
        ``StoreUnavailable``."""
        v.check_duration_ms("older_than_ms", older_than_ms)
        if isinstance(statuses, str) or not isinstance(statuses, Iterable):
            raise InvalidArgument("statuses must be a list of final statuses, e.g. ['terminated', 'failed'].")
        checked = tuple(dict.fromkeys(str(status) for status in statuses))
        final = sorted(str(status) for status in FINAL_STATUSES)
        if not checked or any(status not in final for status in checked):
            raise InvalidArgument(f"Only finished tasks can be purged: statuses must be among {', '.join(final)}.")
        if topic is not None:
            v.check_topic(topic)
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or not 1 <= batch_size <= 10_000:
            raise InvalidArgument("batch_size must be a whole number from 1 to 10000.")
        self._writable("purge tasks")
        return self._purge_batch(older_than_ms, checked, topic, batch_size)

    @abc.abstractmethod
    def _purge_batch(
        self, older_than_ms: int, statuses: tuple[str, ...], topic: str | None, batch_size: int
    ) -> int:
        """Delete up to ``batch_size`` tasks in ``statuses`` (final ones, checked)
        with ``updated_at < now - older_than_ms`` (store clock), in one transaction."""
