"""The fleet's worker role: sokka ``Worker`` threads whose handler takes a while,
mostly succeeds, sometimes fails or snoozes, and now and then kills the whole
process while it holds a lease, as a crashing worker would."""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable, Sequence

from sokka_tui.demo.failures import error_text
from sokka_tui.demo.values import Values
from stores.model import Task
from stores.worker import Outcome, Worker, failed, ok, snoozed


def _handler(rng: random.Random, crash_rate: float, work_s: tuple[float, float]) -> Callable[[Task], Outcome]:
    values = Values(rng, 0)
    low, high = work_s

    def handle(task: Task) -> Outcome:
        seconds = rng.uniform(low, high)
        if rng.random() < crash_rate:
            time.sleep(seconds * rng.random())
            os._exit(1)  # die holding the lease: the task stays running until it expires
        time.sleep(seconds)
        roll = rng.random()
        if roll < 0.10:
            values.now_ms = time.time_ns() // 1_000_000
            return failed(error_text(values, task.topic))
        if roll < 0.20:
            return snoozed(rng.randint(2_000, 8_000))
        return ok()

    return handle


def start_workers(
    store, *, index: int, topics: Sequence[str], crash_rate: float, work_s: tuple[float, float]
) -> Callable[[], bool]:
    """Start one ``Worker`` per topic, as ``demo-worker-<index>:<os pid>``; returns a
    check that every one of them is still running."""
    pid = f"demo-worker-{index}:{os.getpid()}"
    workers = [
        Worker(store, topic, _handler(random.Random(), crash_rate, work_s), pid=pid,
               max_poll_interval_ms=500).start()
        for topic in topics
    ]
    return lambda: all(worker.running for worker in workers)
