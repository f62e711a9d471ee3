"""Queue latency over time: how long the oldest ``starting`` task of each topic
had waited, as this console saw it.

The store keeps no history of it (``TopicStats.oldest_starting_at`` is the
present only), so the console keeps its own: every refresh that reads the
topics records each topic's wait, and each bucket of time (a minute, ten
minutes: the rates' widths) keeps the longest wait seen in it. It starts empty
when the console opens, and only the buckets of the rates' windows are kept
(an hour of minutes, a day of ten-minute buckets), so it is bounded: at most
``RATE_BUCKETS`` numbers per width per topic that had a task waiting, topics
without one cost nothing (a bucket sampled and not holding a topic's wait was
a zero wait for that topic).

No store call here and no thread: it is fed on the event loop from what a
refresh read, and read there by the charts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from stores import TopicStats

#: Bucket width (ms) -> buckets in its window: the rates' resolutions
#: (``stores.RATE_RESOLUTIONS``: a minute for an hour, ten minutes for a day).
WINDOWS = {60_000: 60, 600_000: 144}


@dataclass
class _Buckets:
    """One width's buckets: the starts sampled, and each topic's longest wait in them."""

    width_ms: int
    size: int
    sampled: set[int] = field(default_factory=set)
    longest: dict[str, dict[int, int]] = field(default_factory=dict)

    def record(self, now_ms: int, waits: dict[str, int]) -> None:
        start = now_ms - now_ms % self.width_ms
        if start not in self.sampled:
            self.sampled.add(start)
            self._expire(start)
        for topic, wait in waits.items():
            buckets = self.longest.setdefault(topic, {})
            if wait > buckets.get(start, 0):
                buckets[start] = wait

    def _expire(self, newest: int) -> None:
        oldest = newest - (self.size - 1) * self.width_ms
        self.sampled = {start for start in self.sampled if start >= oldest}
        for topic in list(self.longest):
            kept = {start: wait for start, wait in self.longest[topic].items() if start >= oldest}
            if kept:
                self.longest[topic] = kept
            else:
                del self.longest[topic]

    def series(self, topic: str, now_ms: int) -> list[int | None]:
        newest = now_ms - now_ms % self.width_ms
        buckets = self.longest.get(topic, {})
        starts = [newest - (self.size - 1 - i) * self.width_ms for i in range(self.size)]
        return [buckets.get(start, 0) if start in self.sampled else None for start in starts]


class LatencyHistory:
    """Each topic's longest wait per bucket, since this console opened."""

    def __init__(self) -> None:
        self._widths = {width: _Buckets(width, size) for width, size in WINDOWS.items()}
        #: When the first refresh was recorded (the store's clock), ``None`` before.
        self.since_ms: int | None = None
        #: Each topic's wait at the last refresh recorded (ms; 0: nothing waiting).
        self.latest: dict[str, int] = {}

    def record(self, now_ms: int, stats: Iterable[TopicStats]) -> None:
        """What one refresh read at ``now_ms`` (the store's clock): every topic's
        oldest ``starting`` task's age."""
        waits = {
            s.topic: max(0, now_ms - s.oldest_starting_at) for s in stats if s.oldest_starting_at is not None
        }
        if self.since_ms is None:
            self.since_ms = now_ms
        self.latest = waits
        for buckets in self._widths.values():
            buckets.record(now_ms, waits)

    def series(self, topic: str, width_ms: int, now_ms: int) -> list[int | None]:
        """``topic``'s longest wait (ms) per bucket of the window ending at
        ``now_ms``, oldest first; ``None`` for a bucket no refresh sampled."""
        return self._widths[width_ms].series(topic, now_ms)
