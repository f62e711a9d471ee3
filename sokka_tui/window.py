"""The task list's window on a topic: which rows the table holds, by the keyset
cursor that loaded them, what was dropped above it, and how deep the list has
been read. Never the whole topic in memory: at most ``max_rows`` rows; pages
that scroll far out are dropped and loaded again, by the cursor that first
fetched them, when the cursor comes back to them.

No Textual here: the task screen fetches what the window asks for and applies
what it decides (rows to append, to insert above, counts dropped) to its table.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from stores import Page, Task

#: Rows one ``list_tasks`` call asks for.
PAGE_SIZE = 100
#: Live refresh re-reads at most this many rows from the top; deeper than that
#: the list holds still (R reloads from the top), so a refresh never costs more
#: than a few pages.
LIVE_ROWS = 500
#: The most rows the table holds. Past it, whole pages are dropped from the far
#: end until at most ``WINDOW_ROWS - WINDOW_SLACK`` remain (so this happens once
#: every few pages, not on every page), and loaded again when scrolled back to.
WINDOW_ROWS = 1000
WINDOW_SLACK = 400

Cursor = dict[str, Any]
#: ``list_tasks`` with the list's filters: a keyset cursor in, a page out.
ListPage = Callable[[Cursor], Page[Task]]


@dataclass
class Chunk:
    """Rows of the table that one ``list_tasks`` call returned, and the cursor
    that fetched them (it fetches them again once they were dropped)."""

    cursor: Cursor
    keys: list[str]


@dataclass(frozen=True)
class Refetch:
    """Loading the last page dropped above the window again: what the window
    showed when the load started (the load runs in a worker thread)."""

    start: Cursor
    #: task id -> updated_at of every row in the window.
    shown: Mapping[str, int]
    #: updated_at of the window's first row.
    boundary: int
    #: More new rows than this above the window: give up, start from the top.
    limit: int

    def run(self, list_page: ListPage) -> list[tuple[Cursor, list[Task]]] | None:
        """The pages from ``start`` down to the window's first row, each with its
        cursor and the rows above that row not shown yet: rows that arrived above
        it since (new tasks push the top page's last rows down) are never
        skipped. ``None`` when more than ``limit`` such rows came."""
        pages: list[tuple[Cursor, list[Task]]] = []
        cursor: Cursor | None = self.start
        count = 0
        while cursor is not None:
            page = list_page(cursor)
            fresh = [t for t in page.data if t.task_id not in self.shown and t.updated_at >= self.boundary]
            pages.append((cursor, fresh))
            count += len(fresh)
            if count > self.limit:
                return None  # too many new rows above to hold: start again from the top
            last = page.data[-1] if page.data else None
            if last is None or last.updated_at < self.boundary or self.shown.get(last.task_id) == last.updated_at:
                break  # reached the window's first row
            cursor = dict(page.cursor) if page.cursor else None
        return pages


class Window:
    """The rows of a paged task list, in order, and the bookkeeping to page on."""

    def __init__(
        self,
        max_rows: int = WINDOW_ROWS,
        slack: int = WINDOW_SLACK,
        *,
        page_size: int = PAGE_SIZE,
        live_rows: int = LIVE_ROWS,
    ) -> None:
        self.max_rows = max_rows
        self.slack = slack
        self.page_size = page_size
        self.live_rows = live_rows
        self.tasks: dict[str, Task] = {}  # the rows of the table, in order
        self.next_cursor: Cursor | None = None  # the page after the last row; None: the end
        #: Bumped when the list starts again: pages still loading are then ignored.
        self.generation = 0
        self._chunks: list[Chunk] = []  # the rows, by the call that loaded them
        self._above: list[tuple[Cursor, int]] = []  # (cursor, rows) of the pages dropped above, top first
        self._deepest = 0  # rows loaded from the top down to the deepest row ever loaded
        self._more_below_deepest = False  # a page follows the deepest row loaded

    # -- where the window is -------------------------------------------------------
    @property
    def has_above(self) -> bool:
        """Pages were dropped above the first row (they load again from there)."""
        return bool(self._above)

    @property
    def deep(self) -> bool:
        """Scrolled past the rows a live refresh re-reads: the list holds still."""
        return bool(self._above) or len(self.tasks) > self.live_rows

    @property
    def rows_above(self) -> int:
        """Rows loaded above the first row and dropped from memory."""
        return sum(count for _cursor, count in self._above)

    @property
    def loaded_rows(self) -> int:
        """Rows loaded from the top down to the last row (dropped ones included)."""
        return self.rows_above + len(self.tasks)

    @property
    def deepest_row(self) -> int:
        """Rows loaded from the top down to the deepest row ever loaded, even
        when the pages below the window were dropped since."""
        return max(self._deepest, self.loaded_rows)

    def loaded_label(self) -> str:
        """The title's count: ``100+ loaded``; once rows were dropped, which rows
        of how many (``rows 301``, an en dash, ``1,000 of 1,200+ loaded``).
        ``+``: more rows follow the deepest one loaded."""
        deepest = self.deepest_row
        more = "+" if (self._more_below_deepest if deepest > self.loaded_rows else self.next_cursor) else ""
        if self._above or deepest > self.loaded_rows:
            first, last = self.rows_above + 1, self.loaded_rows
            return f"rows {first:,}–{last:,} of {deepest:,}{more} loaded"
        return f"{len(self.tasks)}{more} loaded"

    def refresh_limit(self) -> int:
        """Rows a live refresh reads from the top: those shown (at least a page),
        at most ``live_rows``."""
        return min(max(self.page_size, len(self.tasks)), self.live_rows)

    # -- changes ---------------------------------------------------------------------
    def reset(self, tasks: list[Task], cursor: Cursor | None) -> int:
        """The rows a load from the top returned (the first load, a live refresh),
        and the cursor of the page after them. Returns how many rows came above
        the rows shown before: the leading rows that are new, or changed (and so
        moved up), down to the first row shown before as it was (0 on a first load)."""
        before = self.tasks
        newer = 0
        if before:
            for task in tasks:
                seen = before.get(task.task_id)
                if seen is not None and seen.updated_at == task.updated_at:
                    break
                newer += 1
            else:
                newer = 0  # no row shown before is still there as it was: nothing to count from
        self.tasks = {task.task_id: task for task in tasks}
        self.next_cursor = cursor
        self._chunks = [Chunk({"limit": max(len(self.tasks), self.page_size)}, list(self.tasks))]
        self._deepest, self._more_below_deepest = len(self.tasks), cursor is not None
        return newer

    def start_over(self) -> None:
        """Forget the rows loaded; the next load starts from the top."""
        self.tasks, self.next_cursor = {}, None
        self._chunks, self._above = [], []
        self._deepest, self._more_below_deepest = 0, False
        self.generation += 1

    def add_page(self, cursor: Cursor, page: Page[Task]) -> list[Task]:
        """The page below the last row, fetched by ``cursor``: returns its rows
        not in the window yet, appended (to append to the table)."""
        fresh = [task for task in page.data if task.task_id not in self.tasks]
        for task in fresh:
            self.tasks[task.task_id] = task
        self._chunks.append(Chunk(cursor, [task.task_id for task in fresh]))
        self.next_cursor = dict(page.cursor) if page.cursor else None
        if self.loaded_rows >= self._deepest:
            self._deepest, self._more_below_deepest = self.loaded_rows, self.next_cursor is not None
        return fresh

    @property
    def overfull(self) -> bool:
        return len(self.tasks) > self.max_rows

    def drop_above(self, keep: str | None) -> int:
        """Drop whole pages from the top until the window has room again, never
        the page holding ``keep`` (the selected row); returns the rows dropped."""
        dropped = 0
        room = self.max_rows - self.slack
        while len(self.tasks) > room and len(self._chunks) > 1 and keep not in self._chunks[0].keys:
            chunk = self._chunks.pop(0)
            for key in chunk.keys:
                self.tasks.pop(key, None)
            self._above.append((chunk.cursor, len(chunk.keys)))
            dropped += len(chunk.keys)
        return dropped

    def refetch_above(self) -> Refetch | None:
        """How to load the last page dropped above again (``None``: none was)."""
        if not self._above or not self.tasks:
            return None
        return Refetch(
            start=dict(self._above[-1][0]),
            shown={key: task.updated_at for key, task in self.tasks.items()},
            boundary=next(iter(self.tasks.values())).updated_at,
            limit=self.max_rows,
        )

    def add_pages_above(self, pages: list[tuple[Cursor, list[Task]]], keep: str | None) -> tuple[list[Task], int]:
        """What a ``Refetch`` returned, put back above the first row; then, while
        the window is over ``max_rows``, whole pages dropped from the bottom
        (never the one holding ``keep``). Returns the rows added at the top, in
        order, and how many rows were dropped at the bottom."""
        _cursor, count = self._above.pop()
        chunks: list[Chunk] = []
        fresh: list[Task] = []
        start: Cursor | None = None
        for cursor, tasks in pages:
            tasks = [task for task in tasks if task.task_id not in self.tasks]
            for task in tasks:
                self.tasks[task.task_id] = task  # (re-ordered below)
            start = start or cursor  # a chunk loads from its cursor down to the next rows shown
            if tasks:
                chunks.append(Chunk(start, [task.task_id for task in tasks]))
                start = None
            fresh += tasks
        self.tasks = {**{task.task_id: task for task in fresh}, **self.tasks}
        self._chunks[:0] = chunks
        # Rows that arrived above since push every row below down (or, gone, pull it up).
        self._deepest += len(fresh) - count
        dropped_below = 0
        while len(self.tasks) > self.max_rows and len(self._chunks) > 1 and keep not in self._chunks[-1].keys:
            chunk = self._chunks.pop()
            for key in chunk.keys:
                self.tasks.pop(key, None)
            self.next_cursor = chunk.cursor  # the next page down is this one again
            dropped_below += len(chunk.keys)
        return fresh, dropped_below
