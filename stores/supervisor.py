"""sokka's mark-and-sweep lease supervisor, for stores whose clock can't be trusted.

It remembers, for each leased task, the ``record_ver`` it saw and when that
lease should end by the supervisor's own clock. A task whose version has not
moved by then is revoked with that version, so a task that changed meanwhile
(extended, finished, re-reserved) is never touched. The SQLite, PostgreSQL and
Redis stores judge expiry by their own clock and do not need it, but it works
against each of them.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, MutableMapping
from typing import NamedTuple, Protocol

from stores.errors import (
    InvalidStatusTransition,
    TaskConcurrentlyUpdated,
    TaskNotFound,
    TaskStoreError,
)
from stores.model import TaskStatus
from stores.paging import scroll
from stores.protocol import LeaseSupervision, TaskStore

log = logging.getLogger(__name__)


class SupervisedStore(TaskStore, LeaseSupervision, Protocol):
    """What the supervisor needs of a store: sokka's two protocols."""


class Mark(NamedTuple):
    """What the supervisor remembers of one leased task."""

    record_ver: int
    expires_at_ms: float


def _monotonic_ms() -> float:
    return time.monotonic() * 1000


def cleanup_leased_tasks(
    monitored: MutableMapping[str, Mark],
    store: SupervisedStore,
    topic: str | None,
    lease_time_ms: int,
    *,
    clock: Callable[[], float] = _monotonic_ms,
) -> list[str]:
    """One pass: mark every leased task of ``topic``, then revoke the stale ones.

    A task seen for the first time, or with a new ``record_ver``, is projected to
    expire at now + ``lease_time_ms`` (+ its snooze time when snoozed). Entries
    whose projection has passed are revoked with the remembered ``record_ver``;
    a task that changed meanwhile is skipped. Returns the ids revoked.
    ``monitored`` is the caller's memory between passes. Raises ``StoreUnavailable``
    when the store can't be read; a failed revoke is logged and retried next pass.
    """
    now = clock()
    leased = set()
    for task in scroll(lambda cursor: store.list_leased_tasks(topic, cursor), {"limit": 500}):
        leased.add(task.task_id)
        mark = monitored.get(task.task_id)
        if mark is None or mark.record_ver != task.record_ver:
            window = lease_time_ms
            if task.status == TaskStatus.SNOOZED and task.snooze_time:
                window = task.snooze_time
            monitored[task.task_id] = Mark(task.record_ver, now + window)
    for task_id in [task_id for task_id in monitored if task_id not in leased]:
        del monitored[task_id]  # finished or revoked by someone else

    revoked = []
    for task_id, mark in list(monitored.items()):
        if mark.expires_at_ms > now:
            continue
        try:
            store.revoke_lease(task_id, mark.record_ver)
        except (TaskConcurrentlyUpdated, InvalidStatusTransition, TaskNotFound):
            pass  # it moved on by itself: exactly the case we must not touch
        except TaskStoreError:
            log.warning("Could not revoke the lease on %r; will retry", task_id, exc_info=True)
            continue
        else:
            revoked.append(task_id)
        del monitored[task_id]
    return revoked


class LeaseSupervisor:
    """Keeps the ``monitored`` memory itself; run passes by hand or in a thread."""

    def __init__(self, store: SupervisedStore, topic: str | None, lease_time_ms: int) -> None:
        self.store = store
        self.topic = topic
        self.lease_time_ms = lease_time_ms
        self.monitored: dict[str, Mark] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def cleanup_leased_tasks(self) -> list[str]:
        """One mark-and-sweep pass; returns the ids revoked."""
        return cleanup_leased_tasks(self.monitored, self.store, self.topic, self.lease_time_ms)

    def start(self, interval_ms: int) -> None:
        """Run a pass every ``interval_ms`` in a daemon thread until ``stop()``."""
        if self._thread is not None:
            raise RuntimeError("The supervisor is already running.")
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._run, args=(interval_ms / 1000,), name="sokka-supervisor", daemon=True
        )
        self._thread.start()

    def _run(self, interval_s: float) -> None:
        while not self._stop.is_set():
            try:
                self.cleanup_leased_tasks()
            except TaskStoreError:
                log.warning("Lease supervision pass failed", exc_info=True)
            self._stop.wait(interval_s)

    def stop(self) -> None:
        """Stop the thread and wait for the pass in progress to end."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
