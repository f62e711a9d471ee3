"""A payload search's progress on the task list (no Textual here).

A search (``list_tasks`` with a ``data`` filter) reads a bounded part of the
topic's range per call and may come back with nothing found yet: the task list
calls the store again and again, in a worker thread, while there is a cursor
and fewer than a page of new matches is shown, and says how far it got.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from stores import TaskStatus, TopicStats

#: Matches one round of calls looks for before it pauses (more load as the
#: cursor comes near the last row).
SEARCH_PAGE = 100
#: The most matches the list holds: past it the search stops and says so.
SEARCH_ROWS = 1_000


def range_size(stats: list[TopicStats], topic: str, status: TaskStatus | None) -> int:
    """The tasks a search of ``topic`` (of ``status``, if given) reads at most:
    the topic's counts (other filters narrow it further)."""
    for stat in stats:
        if stat.topic == topic:
            return stat.counts.get(status, 0) if status is not None else sum(stat.counts.values())
    return 0


@dataclass
class SearchProgress:
    """Where a search of the list is: ``examined`` tasks of ``total``, ``found``
    matches, the ``cursor`` of the next call (``None``: the range is done)."""

    generation: int
    total: int
    cursor: dict[str, Any] | None
    examined: int = 0
    found: int = 0
    running: bool = False
    cancelled: bool = False
    failed: bool = False
    cancel: threading.Event = field(default_factory=threading.Event)

    @property
    def done(self) -> bool:
        return self.cursor is None

    @property
    def full(self) -> bool:
        """As many matches as the list holds."""
        return self.found >= SEARCH_ROWS

    def describe(self) -> str:
        """The title's words: ``examined 200,000 of 1,000,000, 3 found, still searching``."""
        total = max(self.total, self.examined)
        if self.done:
            return f"searched all {self.examined:,}, {self.found:,} found"
        head = f"examined {self.examined:,} of {total:,}, {self.found:,} found"
        if self.running:
            return f"{head}, still searching (esc cancels)"
        if self.failed:
            return f"{head}, stopped by an error (R searches again)"
        if self.cancelled:
            return f"{head}, cancelled (R searches again)"
        if self.full:
            return f"{head}, stopped at {SEARCH_ROWS:,} matches: narrow the search"
        return f"{head}, more below: go down to search on"
