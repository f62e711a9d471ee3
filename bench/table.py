"""The result table: one row per figure, with its reference, target and verdict."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Target:
    """``value op bound``: ``kind`` says whether the ratio or the measured value is judged."""

    kind: str  # "ratio" | "value"
    op: str  # ">=" | "<="
    bound: float
    unit: str = ""

    def passes(self, measured: float, ratio: float | None) -> bool:
        value = ratio if self.kind == "ratio" else measured
        if value is None:
            return False
        return value >= self.bound if self.op == ">=" else value <= self.bound

    def __str__(self) -> str:
        if self.kind == "ratio":
            return f"ratio {self.op} {self.bound:g}"
        return f"{self.op} {_num(self.bound)}{self.unit}"


@dataclass(frozen=True)
class Row:
    figure: str
    backend: str
    measured: float
    unit: str
    reference: float | None = None
    ratio: float | None = None
    target: Target | None = None
    note: str = ""
    ok: bool | None = None  # a check without a number (e.g. "no seq scan")

    @property
    def verdict(self) -> str:
        if self.ok is not None:
            return "PASS" if self.ok else "FAIL"
        if self.target is None:
            return "info"
        return "PASS" if self.target.passes(self.measured, self.ratio) else "FAIL"


def ratio_row(figure: str, backend: str, unit: str, pairs: Sequence[tuple[float, float]], target: Target | None,
              note: str = "") -> Row:
    """A row from (measured, reference) pairs of several repetitions: medians of each, and of the ratios."""
    measured = statistics.median(m for m, _ in pairs)
    reference = statistics.median(r for _, r in pairs)
    ratio = statistics.median(m / r if r else 0.0 for m, r in pairs)
    reps = f"median of {len(pairs)}"
    return Row(figure, backend, measured, unit, reference, ratio, target, f"{reps}; {note}" if note else reps)


def value_row(figure: str, backend: str, unit: str, values: Sequence[float], target: Target | None,
              note: str = "") -> Row:
    reps = f"median of {len(values)}"
    return Row(figure, backend, statistics.median(values), unit, None, None, target,
               f"{reps}; {note}" if note else reps)


def _num(x: float) -> str:
    if x >= 100:
        return f"{x:,.0f}"
    if x >= 10:
        return f"{x:.1f}"
    return f"{x:.2f}"


HEADERS = ("figure", "backend", "measured", "reference", "ratio", "target", "result", "note")


def cells(row: Row) -> tuple[str, ...]:
    return (
        row.figure,
        row.backend,
        f"{_num(row.measured)} {row.unit}".strip() if row.ok is None else ("yes" if row.ok else "no"),
        f"{_num(row.reference)} {row.unit}" if row.reference is not None else "—",
        f"{row.ratio:.2f}" if row.ratio is not None else "—",
        str(row.target) if row.target is not None else ("must hold" if row.ok is not None else "—"),
        row.verdict,
        row.note,
    )


def render(rows: Sequence[Row]) -> str:
    """A Markdown table (readable in a terminal and pasteable into the README)."""
    body = [HEADERS, *(cells(row) for row in rows)]
    widths = [max(len(line[i]) for line in body) for i in range(len(HEADERS))]

    def line(values: Sequence[str]) -> str:
        return "| " + " | ".join(v.ljust(w) for v, w in zip(values, widths, strict=True)) + " |"

    out = [line(HEADERS), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    out.extend(line(values) for values in body[1:])
    return "\n".join(out)
