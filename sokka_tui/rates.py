"""How rates over time are said, alike in ``sokka rates`` and the console:
plain text, no Textual (``sokka`` imports it), no store call.

A ``TopicRates`` (``store.rates``) holds every bucket of its window, oldest
first; "finished" is the protocol's ``terminated``. The console's chart
(``RateChart``) adds the queue latency from its own samples
(``sokka_tui.latency``); its sparklines are ``sokka_tui.sparklines``'s, which
also sum buckets into fewer bars.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sokka_tui.latency import LatencyHistory
from stores import RATE_RESOLUTIONS, TopicRates

#: The resolutions by name, in the order ``--resolution`` offers them.
RESOLUTIONS = tuple(RATE_RESOLUTIONS)
#: The kinds counted, as ``RateBucket`` fields, and how people read them.
KINDS = (("created", "CREATED"), ("terminated", "FINISHED"), ("failed", "FAILED"), ("snoozed", "SNOOZED"))
#: A sparkline's steps: a space for nothing, then eight heights.
_BARS = " ▁▂▃▄▅▆▇█"


def totals(rates: TopicRates) -> dict[str, int]:
    """Each kind's sum over the window."""
    return {kind: sum(getattr(b, kind) for b in rates.buckets) for kind, _ in KINDS}


def sparkline(values: Sequence[int]) -> str:
    """One character per value, scaled to the largest: a space for 0, ``▁`` for
    the least above 0, ``█`` for the largest (so any activity shows)."""
    top = max(values, default=0)
    if top <= 0:
        return " " * len(values)
    return "".join(_BARS[0 if v <= 0 else max(1, -(-v * 8 // top))] for v in values)


def window_words(width_ms: int) -> str:
    """The window of a bucket width: ``last hour, by minute`` / ``last day, by 10 minutes``."""
    count = next(n for w, n in RATE_RESOLUTIONS.values() if w == width_ms)
    span = width_ms * count
    span_words = "hour" if span == 3_600_000 else "day" if span == 86_400_000 else f"{span // 60_000} minutes"
    step = "minute" if width_ms == 60_000 else f"{width_ms // 60_000} minutes"
    return f"last {span_words}, by {step}"


#: The console's chart: ``C`` steps through ``RESOLUTIONS`` (the hour, the day).
HOUR, DAY = RESOLUTIONS
#: Each resolution's bucket width (ms) and buckets in its window, and how the chart names it.
WIDTH_MS = {name: width for name, (width, _count) in RATE_RESOLUTIONS.items()}
BUCKETS = {name: count for name, (_width, count) in RATE_RESOLUTIONS.items()}
#: "per minute, last hour"
SPAN = {HOUR: ("minute", "hour"), DAY: ("10 minutes", "day")}


def hour_counts(rates: TopicRates | None) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """(finished, failed) per minute of the last hour, oldest first; zeros when
    the store had nothing for the topic in the window (``rates`` ``None``)."""
    if rates is None:
        empty = (0,) * BUCKETS[HOUR]
        return empty, empty
    return (tuple(b.terminated for b in rates.buckets), tuple(b.failed for b in rates.buckets))


@dataclass(frozen=True)
class RateChart:
    """One topic's chart: counts per bucket (oldest first, the last one still
    filling) and the longest wait per bucket (``None``: not sampled)."""

    topic: str
    resolution: str
    now_ms: int
    created: tuple[int, ...]
    finished: tuple[int, ...]
    failed: tuple[int, ...]
    snoozed: tuple[int, ...]
    waiting: tuple[int | None, ...]
    #: The topic's wait at the last refresh (ms; 0: nothing waiting).
    waiting_now: int
    #: When the console's latency samples begin (the store's clock).
    sampled_since_ms: int | None

    @property
    def width_ms(self) -> int:
        return WIDTH_MS[self.resolution]


def chart_of(rates: TopicRates, resolution: str, latency: LatencyHistory) -> RateChart:
    """The chart of ``rates`` (one topic's, at ``resolution``) with the
    console's latency samples of that topic over the same window."""
    buckets = rates.buckets
    return RateChart(
        topic=rates.topic,
        resolution=resolution,
        now_ms=rates.now_ms,
        created=tuple(b.created for b in buckets),
        finished=tuple(b.terminated for b in buckets),
        failed=tuple(b.failed for b in buckets),
        snoozed=tuple(b.snoozed for b in buckets),
        waiting=tuple(latency.series(rates.topic, rates.width_ms, rates.now_ms)),
        waiting_now=latency.latest.get(rates.topic, 0),
        sampled_since_ms=latency.since_ms,
    )
