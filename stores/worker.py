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

A write whose reply was lost may have been applied all the same (a stalled
server runs it when it wakes). So when recording an outcome met the store
unavailable, the worker settles before it says anything: once the store
answers, it reads the task back, sends the write once more where the task is
still its own (conditional, so it is never applied twice), and logs what
became of it -- "applied after all", "applied on a later try", or "not
applied" and why -- instead of guessing.

A store can also be reset under a worker (a Redis restarted without
persistence, a schema dropped): its tasks are then simply gone. The worker
remembers the store's identity (``Store.identity()``) when it starts and looks
again when a task it holds is not found, and every
``identity_check_interval_s`` while the topic is empty; when the identity is
gone or another, it logs one ERROR ("the store was reset: ...; tasks held by
this worker are lost") for that reset.
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

from stores.batch import MAX_BATCH
from stores.batched_worker import BatchedLoop
from stores.errors import InvalidArgument, LeaseExpired, StoreUnavailable, TaskNotFound, TaskStoreError, WrongOwner
from stores.model import StoreIdentity, Task, TaskStatus
from stores.outcomes import Outcome, failed, ok, snoozed
from stores.protocol import Store

log = logging.getLogger(__name__)

KEEPALIVE_FRACTION = 0.7
DEFAULT_MAX_POLL_INTERVAL_MS = 1_000
_MIN_POLL_INTERVAL_MS = 10
#: The longest pause between two tries of a write while the store is unavailable.
_MAX_RETRY_DELAY_S = 1.0
#: Seconds between two looks at the store's identity while the topic is empty.
IDENTITY_CHECK_INTERVAL_S = 10.0
#: The write that records each outcome, and the status it leaves the task in.
_WRITES = {"ok": ("terminate", TaskStatus.TERMINATED), "failed": ("fail", TaskStatus.FAILED),
           "snoozed": ("snooze", TaskStatus.SNOOZED)}


Handler = Callable[[Task], "Outcome | None"]


def default_pid() -> str:
    """Unique per worker: host, process and a random part."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


class Worker:
    """Runs ``handler`` over the tasks of ``topic``: one task at a time by default;
    with ``concurrency`` (handler threads, default 1) or ``prefetch`` (tasks
    reserved ahead, waiting for a free thread, default 0) above 1, up to
    ``concurrency`` at once, its tasks reserved, renewed and acknowledged in
    batches (``stores.batched_worker``). Raises ``InvalidArgument`` for a
    ``concurrency`` below 1, a negative ``prefetch``, or a sum above ``MAX_BATCH``."""

    def __init__(
        self,
        store: Store,
        topic: str,
        handler: Handler,
        pid: str | None = None,
        max_poll_interval_ms: int | None = None,
        *,
        identity_check_interval_s: float = IDENTITY_CHECK_INTERVAL_S,
        concurrency: int = 1,
        prefetch: int = 0,
    ) -> None:
        for name, value, least in (("concurrency", concurrency, 1), ("prefetch", prefetch, 0)):
            if isinstance(value, bool) or not isinstance(value, int) or not least <= value <= MAX_BATCH:
                raise InvalidArgument(f"{name} must be a whole number from {least} to {MAX_BATCH}.")
        if concurrency + prefetch > MAX_BATCH:
            raise InvalidArgument(f"concurrency + prefetch must be at most {MAX_BATCH}.")
        self.concurrency = concurrency
        self.prefetch = prefetch
        self.store = store
        self.topic = topic
        self.handler = handler
        self.pid = pid or default_pid()
        self.max_poll_interval_ms = max_poll_interval_ms or DEFAULT_MAX_POLL_INTERVAL_MS
        self.identity_check_interval_s = identity_check_interval_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        # The store's identity as last seen (None: not known, or gone), when it
        # was last looked at, and how many resets this worker has seen.
        self._identity: StoreIdentity | None = None
        self._identity_seen_at = 0.0
        self._resets = 0
        # concurrency or prefetch beyond one task at a time: the batched loop.
        self._batched: BatchedLoop | None = None
        if concurrency > 1 or prefetch > 1:
            self._batched = BatchedLoop(self, concurrency, prefetch)

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
        if self._batched is not None:
            self._batched.wake()
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
        self._store_was_reset()  # the identity it starts with
        if self._batched is not None:
            self._batched.run()
            return
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
                if time.monotonic() - self._identity_seen_at >= self.identity_check_interval_s:
                    self._store_was_reset()
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
        resets = self._resets

        def call_handler() -> None:
            try:
                result["outcome"] = self._run_handler(task)
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
            except TaskNotFound:
                if not self._reset_since(resets):
                    log.warning("Task %r is gone (task-not-found); leaving it", task.task_id)
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
        self._record(task, result["outcome"], lease_ends, resets)

    def _run_handler(self, task: Task) -> Outcome:
        """The handler's outcome for ``task``: ``None`` is ``ok()``, a raised
        exception ``failed(str(exc))``, anything else a failure saying so."""
        try:
            outcome = self.handler(task)
        except Exception as exc:
            return failed(str(exc) or type(exc).__name__)
        if outcome is None:
            return ok()
        if not isinstance(outcome, Outcome):
            return failed(f"Handler returned {outcome!r}, not ok(), failed() or snoozed().")
        return outcome

    def _record(
        self, task: Task, outcome: Outcome, lease_ends: float | None = None, resets: int | None = None
    ) -> None:
        """Write ``outcome``; retry while the store is unavailable and the lease lasts.

        When a try met the store unavailable, its write may have been applied
        with its reply lost: the worker then settles (``_settle``, ``_explain``)
        and logs what actually became of the task, never a guess. ``resets``:
        ``self._resets`` when the task was reserved."""
        if lease_ends is None:
            lease_ends = time.monotonic() + self.store.lease_time_ms / 1000
        if resets is None:
            resets = self._resets
        backoff = _Backoff()
        uncertain = False
        while True:
            try:
                self._write(task, outcome)
                return
            except StoreUnavailable as exc:
                uncertain = True
                delay = backoff.next()
                if time.monotonic() + delay >= lease_ends:
                    self._settle(task, outcome, exc, resets)
                    return
                log.warning("Could not record %s for %r, retrying in %.2f s: %s",
                            outcome.kind, task.task_id, delay, exc)
                time.sleep(delay)
            except TaskNotFound as exc:
                if not self._reset_since(resets):
                    log.warning("Could not record %s for %r (%s): %s", outcome.kind, task.task_id, exc.code, exc)
                return
            except TaskStoreError as exc:
                if uncertain:
                    self._explain(task, outcome, exc, resets)
                else:
                    log.warning("Could not record %s for %r (%s): %s", outcome.kind, task.task_id, exc.code, exc)
                return

    def _write(self, task: Task, outcome: Outcome) -> Task:
        """The write that records ``outcome``, as the task's owner."""
        if outcome.kind == "ok":
            return self.store.terminate(task.task_id, self.pid)
        if outcome.kind == "failed":
            return self.store.fail(task.task_id, self.pid, outcome.error)
        return self.store.snooze(task.task_id, self.pid, outcome.snooze_ms)

    def _applied(self, current: Task, outcome: Outcome) -> bool:
        """Whether ``current`` is what writing ``outcome`` makes of the task."""
        if current.status != _WRITES[outcome.kind][1] or current.pid is not None:
            return False
        return outcome.kind != "failed" or current.error == (outcome.error or "")

    def _read_back(self, task: Task) -> Task | None:
        """The task as the store has it now, waiting (with a backoff) until the
        store answers. Raises ``StoreUnavailable`` when the worker is stopped first."""
        backoff = _Backoff()
        while True:
            try:
                return self.store.task(task.task_id)
            except StoreUnavailable:
                if self._stop.is_set():
                    raise
                self._stop.wait(backoff.next())

    def _settle(self, task: Task, outcome: Outcome, exc: StoreUnavailable, resets: int) -> None:
        """Recording ``outcome`` met the store unavailable until the lease surely
        ends by this worker's clock: once the store answers, say what became of
        the write. Still running under this worker's name, the task gets the
        write once more (owner-checked, so it is applied once at most, whether
        or not a lost try lands later)."""
        write, _ = _WRITES[outcome.kind]
        try:
            current = self._read_back(task)
            if current is not None and current.status == TaskStatus.RUNNING and current.pid == self.pid:
                try:
                    self._write(task, outcome)
                except StoreUnavailable as again:
                    log.warning("%s of %r could not be sent again (%s); if no try was applied, the lease "
                                "will expire and it will be reserved again", write, task.task_id, again)
                    return
                except TaskStoreError:
                    current = self._read_back(task)  # a lost try landed meanwhile, or another change
                else:
                    log.info("%s of %r was applied on a later try, once the store answered again",
                             write, task.task_id)
                    return
        except StoreUnavailable:
            log.warning("%s of %r: the store did not answer before the worker stopped (%s); if it was not "
                        "applied, the lease will expire and it will be reserved again", write, task.task_id, exc)
            return
        self._report(task, outcome, current, resets)

    def _explain(self, task: Task, outcome: Outcome, refusal: TaskStoreError, resets: int) -> None:
        """A retry of a write whose earlier try met the store unavailable was
        refused: read the task back to say whether that try was applied."""
        write, _ = _WRITES[outcome.kind]
        try:
            current = self.store.task(task.task_id)
        except StoreUnavailable as exc:
            log.warning("Recording %s for %r was refused (%s) after a try whose reply was lost, and the "
                        "task could not be read back: %s", outcome.kind, task.task_id, refusal.code, exc)
            return
        if current is not None and self._applied(current, outcome):
            log.info("%s of %r was applied after all (its reply was lost; a retry was refused: %s)",
                     write, task.task_id, refusal.code)
            return
        self._report(task, outcome, current, resets)

    def _report(self, task: Task, outcome: Outcome, current: Task | None, resets: int) -> None:
        """Log what became of a write whose reply was lost, from the task as read back."""
        write, _ = _WRITES[outcome.kind]
        if current is None:
            if not self._reset_since(resets):
                log.warning("%s of %r was not applied: the task is gone", write, task.task_id)
        elif self._applied(current, outcome):
            log.info("%s of %r was applied after all (its reply was lost)", write, task.task_id)
        elif current.status == TaskStatus.RUNNING and current.pid == self.pid:
            log.warning("%s of %r was not applied; the lease will expire and it will be reserved again",
                        write, task.task_id)
        elif current.status == TaskStatus.RUNNING:
            log.warning("%s of %r was not applied; its lease ended and it was reserved again (by %s)",
                        write, task.task_id, current.pid)
        elif current.status == TaskStatus.STARTING:
            log.warning("%s of %r was not applied; its lease ended or was revoked, and it will be reserved "
                        "again", write, task.task_id)
        else:
            log.warning("%s of %r was not applied: the task is now %s", write, task.task_id, current.status)

    # -- store resets -----------------------------------------------------------
    def _reset_since(self, resets: int) -> bool:
        """Whether the store was reset since ``self._resets`` was ``resets``: looks
        at the store's identity now (a task not found may be the first sign)."""
        self._store_was_reset()
        return self._resets > resets

    def _store_was_reset(self) -> bool:
        """Read the store's identity; True (after one ERROR) when it is gone or
        another than the one this worker last saw. The first read, or one after
        the identity was gone, only remembers it."""
        self._identity_seen_at = time.monotonic()
        try:
            current = self.store.identity()
        except Exception as exc:  # unavailable (or a store without it): cannot tell now
            log.debug("Could not read the store's identity: %s", exc)
            return False
        seen, self._identity = self._identity, current
        if seen is None or current == seen:
            return False
        self._resets += 1
        what = "its namespace marker is gone" if current is None else "it has another identity"
        log.error("The store was reset: %s; tasks held by this worker are lost", what)
        return True


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


#: The outcomes live in ``stores.outcomes``; handlers import them from here.
__all__ = ["Handler", "Outcome", "Worker", "default_pid", "failed", "ok", "snoozed"]
