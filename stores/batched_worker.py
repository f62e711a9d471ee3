"""The worker's batched loop: ``Worker(..., concurrency=N, prefetch=M)``.

One thread (the worker's) does every store call; up to ``concurrency``
handler threads run the handlers. The loop:

- reserves with ``reserve_tasks`` up to ``concurrency + prefetch`` tasks held
  at once (running or waiting to start), when at least half of that room is
  free or nothing waits to start; backs off on an empty topic as the single
  loop does;
- starts a waiting task as soon as a handler thread is free, oldest first;
- renews the leases of every task it holds and has not finished (waiting or
  running) in one ``extend_leases`` call, every 0.7 x the lease time;
- acknowledges a task only once its handler has returned: ``ok`` outcomes
  with one ``terminate_many`` (each at the version this worker last saw),
  flushed when the oldest waited ``ACK_INTERVAL_S`` (50 ms), when no handler
  is running, or when stopping; ``failed`` and ``snoozed`` with the single
  writes, as the single loop does.

A task whose renewal is refused (lease expired, another owner, gone, no
longer running) is left alone: not started if it was waiting; if its handler
runs, it finishes, and nothing is written for it.

Lost replies. Every batch is applied whole or not at all (one statement or
script), and each try is conditional, so none is applied twice. An
acknowledgement that met the store unavailable is tried again (with a
backoff) while its lease surely lasts; a retry refused as ``changed`` reads
the task from the refusal: still running under this worker at a newer
version (a renewal whose reply was lost was applied) is acknowledged at that
version; already terminated is "applied after all". Once the lease may have
ended, the worker settles each task as the single loop does (reads it back,
sends the write once more if it is still its own, logs what became of it).
A reservation whose reply was lost leaves its tasks to expire, as a single
reservation's would.

Stopping: nothing more is reserved or started; the tasks that waited to start
are released at once (``revoke_lease`` at the version this worker holds, so
only if unchanged: back to ``starting`` for the next worker, not an expired
lease); running handlers finish and are acknowledged; then the loop ends.
A killed worker's tasks keep their leases until they expire, like any other.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Literal, Protocol

from stores.errors import StoreUnavailable, TaskStoreError
from stores.model import BatchOutcome, BatchResult, Task, TaskStatus
from stores.outcomes import Outcome, failed
from stores.protocol import Store

log = logging.getLogger("stores.worker")

#: The longest an acknowledgement waits for its batch, in seconds.
ACK_INTERVAL_S = 0.05
_MIN_POLL_S = 0.01


class Worker(Protocol):
    """What the loop uses of ``stores.worker.Worker`` (which imports this module):
    its settings, its stop event, and the single loop's handler call, writes
    and lost-reply settling, so both loops say the same things."""

    store: Store
    topic: str
    pid: str
    max_poll_interval_ms: int
    identity_check_interval_s: float
    _stop: threading.Event
    _identity_seen_at: float
    _resets: int

    def _run_handler(self, task: Task) -> Outcome: ...
    def _write(self, task: Task, outcome: Outcome) -> Task: ...
    def _applied(self, current: Task, outcome: Outcome) -> bool: ...
    def _settle(self, task: Task, outcome: Outcome, exc: StoreUnavailable, resets: int) -> None: ...
    def _explain(self, task: Task, outcome: Outcome, refusal: TaskStoreError, resets: int) -> None: ...
    def _report(self, task: Task, outcome: Outcome, current: Task | None, resets: int) -> None: ...
    def _reset_since(self, resets: int) -> bool: ...
    def _store_was_reset(self) -> bool: ...


@dataclass
class _Held:
    """A task this worker holds: ``task`` at the version last seen, the end of its
    lease by this worker's monotonic clock (counted from before it was asked),
    and where it is: waiting to start, running, or acknowledging."""

    task: Task
    lease_ends: float
    state: Literal["waiting", "running", "acking"] = "waiting"
    outcome: Outcome | None = None
    done_at: float = 0.0
    uncertain: bool = False  # an acknowledgement met the store unavailable
    next_try: float = 0.0
    tries: int = 0
    lost: bool = False  # its lease was lost: write nothing for it
    resets: int = 0  # the worker's count of store resets when it was reserved


class BatchedLoop:
    """The loop of one ``Worker`` with ``concurrency`` / ``prefetch`` (see the module)."""

    def __init__(self, worker: Worker, concurrency: int, prefetch: int) -> None:
        self.worker = worker
        self.store = worker.store
        self.concurrency = concurrency
        self.capacity = concurrency + prefetch
        self.lease_s = self.store.lease_time_ms / 1000
        self.keepalive_s = self.lease_s * 0.7
        self.held: dict[str, _Held] = {}
        self.waiting: deque[str] = deque()
        self.running = 0
        self.done: queue.SimpleQueue[tuple[str, Outcome] | None] = queue.SimpleQueue()
        self.next_poll = 0.0
        self.idle_s = _MIN_POLL_S
        self.renewed_at = 0.0  # when the last renewal (or reservation) was asked
        self.next_renewal = 0.0
        self.renew_backoff = 0.05

    def wake(self) -> None:
        """Make the loop look at its state now (``Worker.stop`` calls it)."""
        self.done.put(None)

    # -- the loop ---------------------------------------------------------------
    def run(self) -> None:
        stop = self.worker._stop
        pool = ThreadPoolExecutor(self.concurrency, thread_name_prefix=f"sokka-handler-{self.worker.topic}")
        try:
            while True:
                stopping = stop.is_set()
                if stopping:
                    self._release_waiting()
                else:
                    self._reserve()
                    self._start(pool)
                self._renew()
                self._acknowledge(force=stopping)
                if stopping and not self.held:
                    return
                self._wait(stopping)
        finally:
            pool.shutdown(wait=False)

    def _wait(self, stopping: bool) -> None:
        """Until a handler returns, the loop is woken, or the next thing is due."""
        now = time.monotonic()
        due = [self.next_renewal] if any(h.state != "acking" and not h.lost for h in self.held.values()) else []
        acking = [h for h in self.held.values() if h.state == "acking"]
        if acking:
            flush_at = now if self.running == 0 else min(h.done_at for h in acking) + ACK_INTERVAL_S
            due.append(max(flush_at, min(h.next_try for h in acking)))
        if not stopping and self._room() > 0:
            due.append(self.next_poll)
        timeout = min(due, default=now + 1.0) - now
        try:
            item = self.done.get(timeout=max(timeout, 0.0)) if timeout > 0 else self.done.get_nowait()
        except queue.Empty:
            return
        while True:
            if item is not None:
                self._finished(*item)
            try:
                item = self.done.get_nowait()
            except queue.Empty:
                return

    def _finished(self, task_id: str, outcome: Outcome) -> None:
        self.running -= 1
        held = self.held[task_id]
        if held.lost:
            del self.held[task_id]
            return
        held.state, held.outcome, held.done_at = "acking", outcome, time.monotonic()

    # -- reserving and starting -------------------------------------------------
    def _room(self) -> int:
        """How many tasks to reserve now (regardless of the poll's backoff): the
        free room, once half of it is free or nothing waits to start."""
        room = self.capacity - len(self.held)
        return room if room > 0 and (not self.waiting or room * 2 >= self.capacity) else 0

    def _reserve(self) -> None:
        room = self._room()
        now = time.monotonic()
        if room <= 0 or now < self.next_poll:
            return
        try:
            tasks = self.store.reserve_tasks(self.worker.topic, self.worker.pid, room)
        except StoreUnavailable as exc:
            log.warning("Store unavailable while reserving from %r: %s", self.worker.topic, exc)
            tasks = []
        except Exception:  # a worker must never die silently: log, back off, go on
            log.exception("Reserving from %r failed", self.worker.topic)
            tasks = []
        if not tasks:
            if time.monotonic() - self.worker._identity_seen_at >= self.worker.identity_check_interval_s:
                self.worker._store_was_reset()
            self.next_poll = time.monotonic() + self.idle_s
            self.idle_s = min(self.idle_s * 2, self.worker.max_poll_interval_ms / 1000)
            return
        self.idle_s = _MIN_POLL_S
        self.next_poll = 0.0
        if not any(h.state != "acking" for h in self.held.values()):
            self.next_renewal = now + self.keepalive_s
        for task in tasks:
            self.held[task.task_id] = _Held(task, now + self.lease_s, resets=self.worker._resets)
            self.waiting.append(task.task_id)

    def _start(self, pool: ThreadPoolExecutor) -> None:
        while self.waiting and self.running < self.concurrency:
            held = self.held[self.waiting.popleft()]
            held.state = "running"
            self.running += 1
            pool.submit(self._call, held.task)

    def _call(self, task: Task) -> None:
        outcome: Outcome | None = None
        try:
            outcome = self.worker._run_handler(task)  # turns an Exception into failed()
        finally:
            if outcome is None:  # a BaseException (SystemExit, ...): the loop must still hear of it
                outcome = failed("The handler was interrupted.")
            self.done.put((task.task_id, outcome))

    def _release_waiting(self) -> None:
        """Stopping: give back the tasks that never started, at the version held."""
        released = 0
        while self.waiting:
            held = self.held.pop(self.waiting.popleft())
            try:
                self.store.revoke_lease(held.task.task_id, held.task.record_ver)
                released += 1
            except StoreUnavailable as exc:
                log.warning("Could not release %r (%s); its lease will expire", held.task.task_id, exc)
            except TaskStoreError as exc:
                log.info("Did not release %r (%s): it changed meanwhile", held.task.task_id, exc.code)
        if released:
            log.info("Released %d reserved task(s) of %r that had not started", released, self.worker.topic)

    # -- leases -------------------------------------------------------------------
    def _renew(self) -> None:
        """One ``extend_leases`` for every held task not finished, when due."""
        ids = [task_id for task_id, h in self.held.items() if h.state != "acking" and not h.lost]
        now = time.monotonic()
        if not ids or now < self.next_renewal:
            return
        try:
            results = self.store.extend_leases(self.worker.pid, ids)
        except StoreUnavailable as exc:
            # Try again soon: the next regular renewal may come too late.
            delay = min(self.renew_backoff, 1.0, self.keepalive_s)
            self.renew_backoff = min(self.renew_backoff * 2, 1.0)
            self.next_renewal = now + delay
            log.warning("Could not extend %d leases of %r, retrying in %.2f s: %s", len(ids), self.worker.topic,
                        delay, exc)
            return
        except TaskStoreError as exc:  # refused as a whole: only bad input would be
            log.warning("Could not extend the leases of %r (%s): %s", self.worker.topic, exc.code, exc)
            self.next_renewal = now + self.keepalive_s
            return
        self.renew_backoff = 0.05
        self.next_renewal = now + self.keepalive_s
        for result in results:
            held = self.held.get(result.task_id)
            if held is None:
                continue
            if result.outcome == BatchOutcome.OK and result.task is not None:
                held.task, held.lease_ends = result.task, now + self.lease_s
            else:
                self._lose(held, result)

    def _lose(self, held: _Held, result: BatchResult) -> None:
        task_id = held.task.task_id
        if result.outcome != BatchOutcome.GONE or not self.worker._reset_since(held.resets):
            log.warning("Lost the lease on %r (%s); leaving it to its new owner", task_id, result.code)
        if held.state == "waiting":
            self.waiting.remove(task_id)
            del self.held[task_id]
        else:
            held.lost = True  # its handler finishes; nothing is written for it

    # -- acknowledgements ---------------------------------------------------------
    def _acknowledge(self, force: bool) -> None:
        acking = [h for h in self.held.values() if h.state == "acking"]
        if not acking:
            return
        now = time.monotonic()
        oldest = min(h.done_at for h in acking)
        if not (force or self.running == 0 or now - oldest >= ACK_INTERVAL_S):
            return
        ready = [h for h in acking if h.next_try <= now]
        oks = [h for h in ready if h.outcome is not None and h.outcome.kind == "ok"]
        if oks:
            self._terminate(oks)
        for held in ready:
            if held.outcome is not None and held.outcome.kind != "ok":
                self._write_one(held)

    def _terminate(self, oks: list[_Held]) -> None:
        items = [(h.task.task_id, h.task.record_ver) for h in oks]
        try:
            results = self.store.terminate_many(items, self.worker.pid)
        except StoreUnavailable as exc:
            for held in oks:
                self._unavailable(held, exc)
            return
        except TaskStoreError as exc:  # refused as a whole: only bad input would be
            log.warning("Could not terminate %d tasks of %r (%s): %s", len(oks), self.worker.topic, exc.code, exc)
            for held in oks:
                del self.held[held.task.task_id]
            return
        for held, result in zip(oks, results, strict=True):
            self._terminated(held, result)

    def _terminated(self, held: _Held, result: BatchResult) -> None:
        task_id, current = held.task.task_id, result.task
        if result.outcome == BatchOutcome.OK:
            del self.held[task_id]
            return
        if (result.outcome == BatchOutcome.CHANGED and current is not None
                and current.status == TaskStatus.RUNNING and current.pid == self.worker.pid
                and current.record_ver != held.task.record_ver and held.tries < 3):
            # Still ours at a newer version: a renewal whose reply was lost was
            # applied. Acknowledge at that version, now.
            held.task, held.tries, held.next_try = current, held.tries + 1, 0.0
            return
        del self.held[task_id]
        assert held.outcome is not None
        if held.uncertain:
            if current is not None and self.worker._applied(current, held.outcome):
                log.info("terminate of %r was applied after all (its reply was lost; a retry was refused: %s)",
                         task_id, result.code)
            else:
                self.worker._report(held.task, held.outcome, current, held.resets)
        elif result.outcome == BatchOutcome.GONE:
            if not self.worker._reset_since(held.resets):
                log.warning("Could not record ok for %r (%s): %s", task_id, result.code, result.reason)
        else:
            log.warning("Could not record ok for %r (%s): %s", task_id, result.code, result.reason)

    def _write_one(self, held: _Held) -> None:
        """A ``failed`` or ``snoozed`` outcome: the single write, tried once now."""
        assert held.outcome is not None
        try:
            self.worker._write(held.task, held.outcome)
        except StoreUnavailable as exc:
            self._unavailable(held, exc)
            return
        except TaskStoreError as exc:
            del self.held[held.task.task_id]
            if held.uncertain:
                self.worker._explain(held.task, held.outcome, exc, held.resets)
            elif exc.code != "task-not-found" or not self.worker._reset_since(held.resets):
                log.warning("Could not record %s for %r (%s): %s", held.outcome.kind, held.task.task_id,
                            exc.code, exc)
            return
        del self.held[held.task.task_id]

    def _unavailable(self, held: _Held, exc: StoreUnavailable) -> None:
        """An acknowledgement met the store unavailable: try again later while the
        lease surely lasts, else settle it (read it back) as the single loop does."""
        assert held.outcome is not None
        held.uncertain = True
        delay = min(0.05 * 2 ** min(held.tries, 5), 1.0)
        held.tries += 1
        now = time.monotonic()
        if now + delay >= held.lease_ends:
            del self.held[held.task.task_id]
            self.worker._settle(held.task, held.outcome, exc, held.resets)
            return
        held.next_try = now + delay
        log.warning("Could not record %s for %r, retrying in %.2f s: %s", held.outcome.kind, held.task.task_id,
                    delay, exc)
