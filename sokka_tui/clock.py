"""The store's clock as the console sees it: a local clock plus a measured offset.

Countdowns and "expired" marks use the store's clock, never the local one
alone. Each refresh measures the offset again (``observe``) from one
``store.now_ms()`` call, taken at the midpoint of the round trip.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

LocalClock = Callable[[], int]


def system_clock() -> int:
    return time.time_ns() // 1_000_000


class StoreClock:
    """Local time shifted by the last measured offset to the store's clock."""

    def __init__(self, local: LocalClock = system_clock) -> None:
        self.local = local
        self.offset_ms: int | None = None
        self._lock = threading.Lock()

    def measure(self, store) -> int:
        """Ask the store its time (in a worker thread) and remember the offset."""
        before = self.local()
        remote = store.now_ms()
        after = self.local()
        self.observe(remote, (before + after) // 2)
        return remote

    def observe(self, store_ms: int, local_ms: int) -> None:
        with self._lock:
            self.offset_ms = store_ms - local_ms

    def now(self) -> int:
        """The store's time now, as best known."""
        return self.local() + (self.offset_ms or 0)
