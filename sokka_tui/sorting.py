"""How a table's rows are ordered and narrowed on screen: a column to sort by
(and which way), a text the rows must contain. No Textual here: the tables
(``widgets/view_table.py``) apply what this decides.

Rows are sorted by a value per (row, column heading), ``None`` always last
whichever the direction; ties keep the order the rows came in (the store's),
so a re-sort never shuffles equal rows.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from stores import TASK_STATUSES, Task

R = TypeVar("R")

ASCENDING_MARK = "▲"
DESCENDING_MARK = "▼"
_COUNT = re.compile(r"^-?[\d,]+$")


@dataclass(frozen=True)
class SortOrder:
    """Sort by the column headed ``heading``; ``descending``: biggest, newest, Z first."""

    heading: str
    descending: bool = False

    @property
    def mark(self) -> str:
        return DESCENDING_MARK if self.descending else ASCENDING_MARK

    def describe(self) -> str:
        return f"sorted by {self.heading} {self.mark}"


def next_order(current: SortOrder | None, heading: str, descending_first: bool = False) -> SortOrder:
    """The order after choosing ``heading``: the same column again reverses it;
    another column sorts ascending (descending when ``descending_first``:
    counts and ages, biggest first)."""
    if current is not None and current.heading == heading:
        return SortOrder(heading, not current.descending)
    return SortOrder(heading, descending_first)


def arrange(rows: Sequence[R], order: SortOrder | None, value: Callable[[R, str], Any]) -> list[R]:
    """``rows`` in ``order`` (``None``: as given), by ``value(row, heading)``;
    rows whose value is ``None`` last, ties in the given order."""
    if order is None:
        return list(rows)
    keyed = [(value(row, order.heading), row) for row in rows]
    present = [pair for pair in keyed if pair[0] is not None]
    missing = [row for key, row in keyed if key is None]
    try:
        present.sort(key=lambda pair: pair[0], reverse=order.descending)
    except TypeError:  # values of different kinds in one column: compare their text
        present.sort(key=lambda pair: str(pair[0]), reverse=order.descending)
    return [row for _key, row in present] + missing


def cell_value(text: str) -> Any:
    """A cell's text as a sort value: counts (``1,234``) as numbers, an empty
    cell or a dash as ``None`` (last), other text case-insensitively."""
    text = text.strip()
    if not text or text == "—":
        return None
    if _COUNT.match(text):
        return int(text.replace(",", ""))
    return text.casefold()


def heading_label(heading: str, width: int | None, order: SortOrder | None) -> str:
    """A column's header: its heading, with ▲/▼ when the table is sorted by it
    (the heading's last letters give way to it within ``width``)."""
    if order is None or order.heading != heading:
        return heading
    if width is None or len(heading) + 2 <= width:
        return f"{heading} {order.mark}"
    if len(heading) + 1 <= width:
        return f"{heading}{order.mark}"
    return heading[: max(0, width - 1)] + order.mark


def matches(texts: Iterable[str], wanted: str) -> bool:
    """Whether any of ``texts`` contains ``wanted`` (case-insensitive; empty: all)."""
    wanted = wanted.strip().casefold()
    return not wanted or any(wanted in text.casefold() for text in texts)


_STATUS_RANK = {status: rank for rank, status in enumerate(TASK_STATUSES)}


def task_value(task: Task, heading: str) -> Any:
    """A task's sort value for the task tables' column ``heading``."""
    if heading == "Task":
        return task.task_id
    if heading == "Status":
        return _STATUS_RANK.get(task.status, len(_STATUS_RANK))
    if heading == "Topic":
        return task.topic
    if heading == "Sub-topic":
        return task.sub_topic
    if heading == "Group":
        return None if task.task_group_id == task.task_id else task.task_group_id
    if heading == "Updated":
        return task.updated_at
    if heading == "Ver":
        return task.record_ver
    if heading == "Owner":
        return task.pid
    if heading in ("Lease / wake", "Lease", "Left"):
        return task.lease_expires_at
    if heading == "Description":
        return task.task_description or None
    return None
