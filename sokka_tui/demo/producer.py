"""The fleet's producer role: a thread that keeps adding work, as a shop's
services would: a task or two, an order's worth, now and then a burst."""

from __future__ import annotations

import contextlib
import random
import threading
import time
from collections.abc import Callable
from typing import Any

from sokka_tui.demo.tasks import order_tasks, single_task
from sokka_tui.demo.topics import DEMO_TOPICS, UNATTENDED_TOPICS
from sokka_tui.demo.values import Values
from stores.errors import TaskStoreError


def live_batch(values: Values, number: int) -> list[dict[str, Any]]:
    """What the producer adds in one tick: a task or two, an order, or now and then a burst."""
    rng = values.rng
    roll = rng.random()
    if roll < 0.15:
        return order_tasks(values, number)
    if roll < 0.20:
        topic = rng.choice(("search-index", "thumbnails", "emails", "reports.nightly"))
        return [single_task(values, topic) for _ in range(rng.randint(8, 20))]
    weights = [1 if topic in UNATTENDED_TOPICS else 4 for topic in DEMO_TOPICS]
    return [single_task(values, rng.choices(DEMO_TOPICS, weights)[0]) for _ in range(rng.randint(1, 2))]


def _produce(store, every_s: tuple[float, float]) -> None:
    rng = random.Random()
    values = Values(rng, 0)
    number = rng.randint(20_000, 60_000)
    low, high = every_s
    while True:
        time.sleep(rng.uniform(low, high))
        values.now_ms = time.time_ns() // 1_000_000
        number += rng.randint(1, 9)
        # A busy or unreachable store only costs this tick's tasks.
        with contextlib.suppress(TaskStoreError):
            store.create_tasks(live_batch(values, number))


def start_producer(store, *, every_s: tuple[float, float]) -> Callable[[], bool]:
    """Start the producing thread (a batch every ``every_s`` seconds); returns a
    check that it is still running."""
    thread = threading.Thread(target=_produce, args=(store, every_s), name="sokka-demo-producer", daemon=True)
    thread.start()
    return thread.is_alive
