"""The demo fleet, from the parent's side: start worker and producer processes,
replace the ones that die, and end them all on ``stop``."""

from __future__ import annotations

import contextlib
import logging
import math
import multiprocessing
import os
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sokka_tui.demo.child import ChildConfig, child_main
from sokka_tui.demo.shared_url import require_shared_url
from sokka_tui.demo.topics import DEMO_TOPICS, UNATTENDED_TOPICS
from stores.base import StoreOptions
from stores.registry import backend_for

log = logging.getLogger(__name__)


@dataclass
class _Slot:
    """One child the fleet keeps alive: what it runs, its current process, and the
    back-off after it died too soon."""

    config: ChildConfig
    process: Any = None
    started_at: float = 0.0
    not_before: float = 0.0
    quick_deaths: int = 0


class DemoFleet:
    """Worker and producer processes that keep a demo store busy.

    ``workers`` processes each run a ``stores.worker.Worker`` per topic (in threads)
    over a share of ``topics`` (default: ``DEMO_TOPICS`` except
    ``UNATTENDED_TOPICS``), so every topic is served by about two processes. Each
    task takes ``work_s`` seconds, then mostly ends ``ok()``, sometimes
    ``failed(...)`` or ``snoozed(2-8 s)``; with probability ``crash_rate`` the
    process dies holding the lease instead, and the fleet starts a replacement.
    With ``producer``, one more process adds tasks every ``produce_every_s``
    seconds and, every ``pause_every_s`` seconds (``None``: never), pauses one
    served topic for ``pause_for_s`` seconds (``demo/pauses.py``). Children
    never write to the terminal and exit by themselves when this process dies.

    ``start()`` returns at once; ``stop(timeout)`` ends every child within
    ``timeout`` seconds. Also a context manager. Raises ``InvalidArgument`` for a
    URL or option no store would take, ``ValueError`` for a private in-memory
    SQLite URL (other processes cannot see it).
    """

    def __init__(
        self,
        url: str,
        *,
        namespace: str = "sokka",
        lease_time_ms: int = 6000,
        workers: int = 3,
        producer: bool = True,
        topics: Sequence[str] | None = None,
        crash_rate: float = 1 / 40,
        work_s: tuple[float, float] = (0.3, 4.0),
        produce_every_s: tuple[float, float] = (0.3, 1.0),
        pause_every_s: tuple[float, float] | None = (40.0, 90.0),
        pause_for_s: tuple[float, float] = (15.0, 30.0),
    ) -> None:
        backend_for(url)
        StoreOptions.parse({"namespace": namespace, "lease_time_ms": lease_time_ms})
        require_shared_url(url, "A demo fleet")
        if isinstance(workers, bool) or not isinstance(workers, int) or workers < 0:
            raise ValueError("workers must be a whole number, 0 or more.")
        self.url = url
        self.namespace = namespace
        self.lease_time_ms = lease_time_ms
        self.workers = workers
        self.producer = producer
        self.topics = tuple(topics) if topics is not None else tuple(
            topic for topic in DEMO_TOPICS if topic not in UNATTENDED_TOPICS
        )
        self.crash_rate = crash_rate
        self.work_s = (float(work_s[0]), float(work_s[1]))
        self.produce_every_s = (float(produce_every_s[0]), float(produce_every_s[1]))
        self.pause_every_s = None if pause_every_s is None else (float(pause_every_s[0]), float(pause_every_s[1]))
        self.pause_for_s = (float(pause_for_s[0]), float(pause_for_s[1]))
        #: How many times a dead child was replaced.
        self.restarts = 0
        self._context = multiprocessing.get_context("spawn")
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._slots: list[_Slot] = []
        self._monitor: threading.Thread | None = None

    def __enter__(self) -> DemoFleet:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    @property
    def pids(self) -> list[int]:
        """The process ids of the children alive now."""
        with self._lock:
            return [s.process.pid for s in self._slots if s.process is not None and s.process.is_alive()]

    @property
    def running(self) -> bool:
        return self._monitor is not None

    def _configs(self) -> list[ChildConfig]:
        def config(role: str, index: int, topics: tuple[str, ...]) -> ChildConfig:
            return ChildConfig(
                role=role, index=index, url=self.url, namespace=self.namespace,
                lease_time_ms=self.lease_time_ms, topics=topics, parent_pid=os.getpid(),
                crash_rate=self.crash_rate, work_s=self.work_s, every_s=self.produce_every_s,
                pause_every_s=self.pause_every_s if role == "producer" else None, pause_for_s=self.pause_for_s,
                served=self.topics,
            )

        n = len(self.topics)
        # Each process serves a rotating share of the topics, so that each topic
        # has about two processes and one crash never leaves it unserved.
        share = n if self.workers <= 1 else min(n, max(1, math.ceil(2 * n / self.workers)))
        configs = [
            config("worker", i, tuple(self.topics[(i * share + j) % n] for j in range(share)))
            for i in range(self.workers if n else 0)
        ]
        if self.producer:
            configs.append(config("producer", 0, DEMO_TOPICS))
        return configs

    def start(self) -> DemoFleet:
        """Start the children and the thread that replaces dead ones; returns at once."""
        with self._lock:
            if self._monitor is not None:
                raise RuntimeError("The demo fleet is already running.")
            self._stopping.clear()
            self._slots = [_Slot(config) for config in self._configs()]
            self._monitor = threading.Thread(target=self._watch, name="sokka-demo-fleet", daemon=True)
            try:
                for slot in self._slots:
                    self._launch(slot)
            except BaseException:
                self._monitor = None
                for slot in self._slots:
                    if slot.process is not None:
                        slot.process.kill()
                        slot.process.join(1)
                self._slots = []
                raise
            self._monitor.start()
        return self

    def _launch(self, slot: _Slot) -> None:
        process = self._context.Process(
            target=child_main,
            args=(slot.config,),
            name=f"sokka-demo-{slot.config.role}-{slot.config.index}",
            daemon=True,  # multiprocessing ends them should this process exit without stop()
        )
        process.start()
        slot.process, slot.started_at = process, time.monotonic()

    def _watch(self) -> None:
        while not self._stopping.wait(0.25):
            with self._lock:
                if self._stopping.is_set():
                    return
                for slot in self._slots:
                    try:
                        self._tend(slot)
                    except Exception:  # e.g. out of processes: try again next round
                        log.debug("Could not restart %s", slot.config, exc_info=True)

    def _tend(self, slot: _Slot) -> None:
        now = time.monotonic()
        process = slot.process
        if process is not None:
            if process.is_alive():
                return
            process.join(0)
            with contextlib.suppress(ValueError):
                process.close()
            slot.process = None
            # A child that dies right after starting (store unreachable, say) is
            # restarted with a growing delay, not in a tight loop.
            slot.quick_deaths = slot.quick_deaths + 1 if now - slot.started_at < 5 else 0
            delay = min(5.0, 0.25 * 2 ** (slot.quick_deaths - 1)) if slot.quick_deaths else 0.0
            slot.not_before = now + delay
        if now >= slot.not_before:
            self._launch(slot)
            self.restarts += 1

    def stop(self, timeout: float = 5) -> None:
        """End every child within ``timeout`` seconds: SIGTERM, then SIGKILL for any left.

        Tasks a child held stay ``running`` until their lease ends, as after a crash."""
        deadline = time.monotonic() + timeout
        self._stopping.set()
        monitor = self._monitor
        if monitor is not None:
            monitor.join(max(0.0, deadline - time.monotonic()))
        with self._lock:
            processes = [slot.process for slot in self._slots if slot.process is not None]
            for process in processes:
                if process.is_alive():
                    process.terminate()
            grace = deadline - min(1.0, timeout / 4)
            for process in processes:
                process.join(max(0.0, grace - time.monotonic()))
            for process in processes:
                if process.is_alive():
                    process.kill()
            for process in processes:
                process.join(max(0.01, deadline - time.monotonic()))
                if process.exitcode is not None:
                    with contextlib.suppress(ValueError):
                        process.close()
            self._slots = []
            self._monitor = None
