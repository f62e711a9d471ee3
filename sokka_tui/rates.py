"""How rates over time are said, alike in ``sokka rates`` and (if it wants)
the console: plain text, no Textual (``sokka`` imports it).

A ``TopicRates`` (``store.rates``) holds every bucket of its window, oldest
first; "finished" is the protocol's ``terminated``.
"""

from __future__ import annotations

from collections.abc import Sequence

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
