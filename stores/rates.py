"""Rates over time (``rates``): the window of a resolution and the buckets read
from a backend made into ``TopicRates``, one rule for every backend.

Each backend keeps per topic counters moved by the write that makes the
change (SQLite and PostgreSQL: a row per minute, kept for a day, which the
10-minute read adds up; Redis: a hash per bucket of each width); this module
only says which buckets are in the window and fills the empty ones with zeros.
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
    """``TopicRates`` from the buckets a backend read (ints; several rows of one
    bucket are added up; rows outside the window are left out): every bucket of
    the window, zeros filled. With ``topic`` one entry (all zeros when nothing
    was read), else one per topic read, by name. Called on every console
    refresh, so it does as little per row as it can."""
    first = window_start(now_ms, width_ms, buckets)
    last = first + (buckets - 1) * width_ms
    found: dict[str, dict[int, tuple[int, int, int, int]]] = {}
    for name, start, created, terminated, failed, snoozed in rows:
        if start < first or start > last:
            continue
        cells = found.get(name)
        if cells is None:
            cells = found[name] = {}
        seen = cells.get(start)
        cells[start] = (
            (created, terminated, failed, snoozed) if seen is None
            else (seen[0] + created, seen[1] + terminated, seen[2] + failed, seen[3] + snoozed)
        )
    if topic is not None:
        found = {topic: found.get(topic, {})}
    starts = range(first, last + 1, width_ms)
    zeros = {start: RateBucket(start) for start in starts} if found else {}
    return [
        TopicRates(
            name,
            width_ms,
            tuple(RateBucket(start, *cells[start]) if start in cells else zeros[start] for start in starts),
            now_ms,
        )
        for name, cells in sorted(found.items())
    ]
