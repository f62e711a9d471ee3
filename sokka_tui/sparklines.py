"""Counts over time as a line of block characters (``▁▂▃▄▅▆▇█``), for a table
cell and for the rates chart. No Textual here: plain ``rich.text.Text``.

Why not Textual's ``Sparkline``: it cannot go into a ``DataTable`` cell, and it
scales each line from its smallest value to its largest, so an hour of steady
traffic (40 to 44 a minute) looks like a storm and a quiet minute (0) looks like
a busy one at the bottom of the range. Here the scale starts at zero, a zero is
a blank, and anything above zero is at least ``▁``: a glance tells "nothing"
from "a little".

Buckets come oldest first; when there are more than cells, neighbours are
summed into whole groups (a divisor of the count, so every bar covers the same
span: 60 minutes in 12 bars of 5 minutes, never 8 bars of 7.5).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from rich.text import Text

BARS = "▁▂▃▄▅▆▇█"
#: How the buckets of one bar make its value: ``sum`` or ``max``.
Combine = Callable[[list[int]], int]
#: The room a cell's total takes (``compact``), and the space before it.
TOTAL_WIDTH = 5


def group_size(buckets: int, cells: int) -> int:
    """How many buckets each bar sums so that ``buckets`` fit in ``cells`` bars:
    the smallest divisor of ``buckets`` that is at least ``buckets / cells``."""
    if buckets <= 0:
        return 1
    least = max(1, math.ceil(buckets / max(cells, 1)))
    return next(size for size in range(least, buckets + 1) if buckets % size == 0)


def squeeze(values: Sequence[int | None], cells: int, combine: Combine = sum) -> list[int | None]:
    """``values`` in at most ``cells`` bars, each ``combine`` (counts: ``sum``;
    a longest wait: ``max``) of ``group_size`` neighbours (``None``: not known;
    a bar of only ``None`` stays ``None``)."""
    size = group_size(len(values), cells)
    if size == 1:
        return list(values)
    bars: list[int | None] = []
    for start in range(0, len(values), size):
        group = [value for value in values[start : start + size] if value is not None]
        bars.append(combine(group) if group else None)
    return bars


def peak_of(values: Sequence[int | None]) -> int:
    return max((value for value in values if value is not None), default=0)


def bar(value: int | None, peak: int) -> str:
    """One cell: blank for zero (or not known), else at least the lowest block."""
    if not value or value <= 0 or peak <= 0:
        return " "
    level = math.ceil(min(value, peak) / peak * len(BARS))
    return BARS[max(1, level) - 1]


def sparkline(
    values: Sequence[int | None], cells: int, style: str = "", *, combine: Combine = sum, peak: int | None = None
) -> Text:
    """``values`` as at most ``cells`` bars (``squeeze``), scaled from zero to
    ``peak`` (default: the largest bar), padded on the left to ``cells`` so the
    newest bar is always at the right edge."""
    bars = squeeze(values, cells, combine)
    top = peak_of(bars) if peak is None else peak
    line = "".join(bar(value, top) for value in bars)
    return Text(line.rjust(max(cells, 0)), style=style, no_wrap=True, end="")


def compact(n: int) -> str:
    """A count in at most 5 cells: ``9,999``, ``12.3k``, ``123k``, ``1.2M``, ``12M``."""
    if n < 10_000:
        return f"{n:,}"
    for divisor, unit in ((1_000_000_000, "G"), (1_000_000, "M"), (1_000, "k")):
        if n >= divisor:
            scaled = n / divisor
            text = f"{scaled:.1f}{unit}" if scaled < 100 else f"{scaled:.0f}{unit}"
            if len(text) > TOTAL_WIDTH:  # 99.95 rounds to 100.0
                text = f"{scaled:.0f}{unit}"
            return text
    return str(n)


def rate_cell(values: Sequence[int], width: int, style: str) -> Text:
    """A table cell ``width`` wide: the sparkline of ``values`` then their total
    (right-aligned; dim when zero), e.g. ``▁▂▅█▃▁▂▃▄▅▆▇ 1,234``."""
    total = sum(values)
    cells = max(1, width - TOTAL_WIDTH - 1)
    cell = sparkline(values, cells, style)
    cell.append(" ")
    cell.append(compact(total).rjust(TOTAL_WIDTH), style=style if total else "dim")
    return cell
