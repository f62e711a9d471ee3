"""sokka's worker: reserve a task, run a handler on it, keep its lease, record the result.

While the handler runs (in its own thread) the worker extends the lease every
0.7 x the store's lease time. When the handler returns, the worker terminates,
fails or snoozes the task as the handler said. If the lease is lost
(``LeaseExpired`` or ``WrongOwner`` on extension) the worker stops caring for
that task and writes nothing for it. When a topic is empty it backs off, up to
``max_poll_interval_ms``.

An outage does not stop a worker: a ``StoreUnavailable`` while reserving backs
off as an empty topic does, and while extending or recording is retried with a
bounded backoff for as long as the lease surely lasts (by the worker's own
monotonic clock, counted from before the reservation or extension was asked).
"""

from __future__ import annotations

import logging
import os
import random
import secrets
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from stores.errors import LeaseExpired, StoreUnavailable, TaskStoreError, WrongOwner
from stores.model import Task
from stores.protocol import Store

log = logging.getLogger(__name__)

KEEPALIVE_FRACTION = 0.7
DEFAULT_MAX_POLL_INTERVAL_MS = 1_000
_MIN_POLL_INTERVAL_MS = 10
#: The longest pause between two tries of a write while the store is unavailable.
_MAX_RETRY_DELAY_S = 1.0


@dataclass(frozen=True)
class Outcome:
    """What a handler says became of its task."""

    kind: Literal["ok", "failed", "snoozed"]
    error: str | None = None
    snooze_ms: int | None = None


def ok() -> Outcome:
    """The task is done: ``terminate`` it."""
    return Outcome("ok")


def failed(error: str | None = None) -> Outcome:
    """The task failed: ``fail`` it with ``error``."""
    return Outcome("failed", error=error)


def snoozed(snooze_ms: int | None = None) -> Outcome:
    """Try again later: ``snooze`` it for ``snooze_ms`` (the store's default when ``None``)."""
    return Outcome("snoozed", snooze_ms=snooze_ms)


Handler = Callable[[Task], "Outcome | None"]


def default_pid() -> str:
    """Unique per worker: host, process and a random part."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


class Worker:
    """Runs ``handler`` over the tasks of ``topic``, one task at a time."""

    def __init__(
        self,
        store: Store,
        topic: str,
        handler: Handler,
        pid: str | None = None,
        max_poll_interval_ms: int | None = None,
    ) -> None:
        self.store = store
        self.topic = topic
        self.handler = handler
        self.pid = pid or default_pid()
        self.max_poll_interval_ms = max_poll_interval_ms or DEFAULT_MAX_POLL_INTERVAL_MS
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- lifecycle ------------------------------------------------------------
    def start(self) -> Worker:
        """Start the worker's loop in a thread; returns the worker."""
        if self._thread is not None:
            raise RuntimeError("The worker is already running.")
        self._stop.clear()
        self._thread = threading.Thread(target=self.run, name=f"sokka-worker-{self.topic}", daemon=True)
        self._thread.start()
        return self

    def stop(self, wait: bool = True, timeout: float | None = None) -> None:
        """Reserve nothing more; with ``wait``, block (up to ``timeout`` seconds, or
        until done when ``None``) until the task in hand is recorded."""
        self._stop.set()
        if wait and self._thread is not None:
            self._thread.join(timeout)
            if not self._thread.is_alive():
                self._thread = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def __enter__(self) -> Worker:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- the loop ---------------------------------------------------------------
    def run(self) -> None:
        """The loop itself (``start`` runs it in a thread): until ``stop()``."""
        idle_ms = _MIN_POLL_INTERVAL_MS
        while not self._stop.is_set():
            asked_at = time.monotonic()
            try:
                task = self.store.reserve_task(self.topic, self.pid)
            except StoreUnavailable as exc:
                # An outage: keep polling, backing off as on an empty topic.
                log.warning("Store unavailable while reserving from %r: %s", self.topic, exc)
                task = None
            except Exception:  # a worker must never die silently: log, back off, go on
                log.exception("Reserving from %r failed", self.topic)
                task = None
            if task is None:
                self._stop.wait(idle_ms / 1000)
                idle_ms = min(idle_ms * 2, self.max_poll_interval_ms)
                continue
            idle_ms = _MIN_POLL_INTERVAL_MS
            self.process(task, lease_from=asked_at)

    def process(self, task: Task, lease_from: float | None = None) -> None:
        """Run the handler on a reserved ``task``, keep its lease, record its outcome.

        ``lease_from`` is when (``time.monotonic()``) the reservation was asked
        for: the lease cannot end before that plus the lease time. While the store
        is unavailable, extensions and the final write are retried with a bounded
        backoff, but never past that conservative end of the lease: then the task
        may be someone else's."""
        result: dict[str, Outcome] = {}
        finished = threading.Event()

        def call_handler() -> None:
            try:
                outcome = self.handler(task)
                if outcome is None:
                    outcome = ok()
                elif not isinstance(outcome, Outcome):
                    outcome = failed(f"Handler returned {outcome!r}, not ok(), failed() or snoozed().")
                result["outcome"] = outcome
            except Exception as exc:
                result["outcome"] = failed(str(exc) or type(exc).__name__)
            finally:
                finished.set()

        threading.Thread(target=call_handler, name=f"sokka-handler-{task.task_id}", daemon=True).start()
        lease_s = self.store.lease_time_ms / 1000
        lease_ends = (time.monotonic() if lease_from is None else lease_from) + lease_s
        keepalive_s = lease_s * KEEPALIVE_FRACTION
        backoff = _Backoff(cap_s=min(_MAX_RETRY_DELAY_S, keepalive_s))
        wait_s = keepalive_s
        while not finished.wait(wait_s):
            asked_at = time.monotonic()
            try:
                self.store.extend_lease(task.task_id, self.pid)
            except (LeaseExpired, WrongOwner) as exc:
                log.warning("Lost the lease on %r (%s); leaving it to its new owner", task.task_id, exc.code)
                return
            except StoreUnavailable as exc:
                # Try again soon: the next regular keepalive may come too late.
                wait_s = backoff.next()
                log.warning("Could not extend the lease on %r, retrying in %.2f s: %s", task.task_id, wait_s, exc)
                continue
            except TaskStoreError as exc:
                log.warning("Could not extend the lease on %r (%s): %s", task.task_id, exc.code, exc)
            else:
                lease_ends = asked_at + lease_s
                backoff.reset()
            wait_s = keepalive_s
        self._record(task, result["outcome"], lease_ends)

    def _record(self, task: Task, outcome: Outcome, lease_ends: float | None = None) -> None:
        """Write ``outcome``; retry while the store is unavailable and the lease lasts.

        A write whose reply was lost may have been applied: when a retry is then
        refused, the first attempt most likely went through, so that is logged
        at INFO, not as a failure."""
        if lease_ends is None:
            lease_ends = time.monotonic() + self.store.lease_time_ms / 1000
        backoff = _Backoff()
        uncertain = False
        while True:
            try:
                if outcome.kind == "ok":
                    self.store.terminate(task.task_id, self.pid)
                elif outcome.kind == "failed":
                    self.store.fail(task.task_id, self.pid, outcome.error)
                else:
                    self.store.snooze(task.task_id, self.pid, outcome.snooze_ms)
                return
            except StoreUnavailable as exc:
                delay = backoff.next()
                if time.monotonic() + delay >= lease_ends:
                    log.warning("Could not record %s for %r before its lease ended; it will be "
                                "reserved again: %s", outcome.kind, task.task_id, exc)
                    return
                log.warning("Could not record %s for %r, retrying in %.2f s: %s",
                            outcome.kind, task.task_id, delay, exc)
                uncertain = True
                time.sleep(delay)
            except TaskStoreError as exc:
                if uncertain:
                    log.info("Recording %s for %r was refused (%s) after an attempt whose reply "
                             "was lost; that attempt most likely went through", outcome.kind,
                             task.task_id, exc.code)
                else:
                    log.warning("Could not record %s for %r (%s): %s", outcome.kind, task.task_id, exc.code, exc)
                return


class _Backoff:
    """Delays that double from ``first_s`` up to ``cap_s``, with a little jitter."""

    def __init__(self, first_s: float = 0.05, cap_s: float = _MAX_RETRY_DELAY_S) -> None:
        self.first_s = min(first_s, cap_s)
        self.cap_s = cap_s
        self._next = self.first_s

    def next(self) -> float:
        delay = self._next
        self._next = min(self._next * 2, self.cap_s)
        return delay * random.uniform(0.8, 1.0)

    def reset(self) -> None:
        self._next = self.first_s
