"""Rates over time (``rates``): the window of a resolution and the buckets read
from a backend made into ``TopicRates``, one rule for every backend.

Each backend keeps, per topic, one counter row (Redis: hash) per bucket of
each width, moved by the write that makes the change; this module only says
which buckets are in the window and fills the empty ones with zeros.
"""

from __future__ import annotations

from collections.abc import Iterable

from stores.constants import RATE_RESOLUTIONS
from stores.errors import InvalidArgument
from stores.model import RateBucket, TopicRates

#: A bucket as a backend reads it: topic, start_ms, created, terminated, failed, snoozed.
RateRow = tuple[str, int, int, int, int, int]
#: The rated kinds, in RateBucket's field order after start_ms.
RATE_KINDS = ("created", "terminated", "failed", "snoozed")


def check_resolution(resolution: object) -> tuple[int, int]:
    """``(width_ms, buckets)`` of a resolution name. Raises ``InvalidArgument``."""
    if not isinstance(resolution, str) or resolution not in RATE_RESOLUTIONS:
        names = ", ".join(RATE_RESOLUTIONS)
        raise InvalidArgument(f"Unknown rates resolution {resolution!r}: use one of {names}.")
    return RATE_RESOLUTIONS[resolution]


def bucket_start(ms: int, width_ms: int) -> int:
    """The start of the bucket of width ``width_ms`` that holds ``ms``."""
    return ms - ms % width_ms


def window_start(now_ms: int, width_ms: int, buckets: int) -> int:
    """The start of the oldest bucket of the window at ``now_ms`` (the current one included)."""
    return bucket_start(now_ms, width_ms) - (buckets - 1) * width_ms


def assemble(
    rows: Iterable[RateRow], now_ms: int, width_ms: int, buckets: int, topic: str | None
) -> list[TopicRates]:
    """``TopicRates`` from the buckets a backend read (several rows of one
    bucket, e.g. PostgreSQL's shards, are added up; rows outside the window are
    left out): every bucket of the window, zeros filled. With ``topic`` one
    entry (all zeros when nothing was read), else one per topic read, by name."""
    first = window_start(now_ms, width_ms, buckets)
    found: dict[str, dict[int, list[int]]] = {}
    for name, start, *counts in rows:
        start = int(start)
        if start < first or start > first + (buckets - 1) * width_ms or (topic is not None and name != topic):
            continue
        cell = found.setdefault(name, {}).setdefault(start, [0, 0, 0, 0])
        for i, n in enumerate(counts):
            cell[i] += int(n or 0)
    if topic is not None:
        found.setdefault(topic, {})
    return [
        TopicRates(
            name,
            width_ms,
            tuple(
                RateBucket(start, *by_start.get(start, (0, 0, 0, 0)))
                for start in range(first, first + buckets * width_ms, width_ms)
            ),
            now_ms,
        )
        for name, by_start in sorted(found.items())
    ]
