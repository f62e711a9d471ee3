"""A ``DataTable`` the operator can sort (``S``, or a click on a header) and
narrow (``/``), on every screen. The order and the filter belong to the table,
so they hold across live refreshes: every load goes through ``show_rows`` (or
``in_view_order``), which applies them; the cursor stays on its row (by key).

The table sorts only the rows it was given; a screen whose table shows part of
a longer list (the task list's keyset window) says so in its title.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from rich.text import Text
from textual.message import Message
from textual.widgets import DataTable

from sokka_tui.sorting import SortOrder, arrange, cell_value, heading_label, matches, next_order
from sokka_tui.widgets.tables import Row, rebuild_rows, sync_rows

#: (row key, column heading) -> the value to sort by (``None``: last).
SortValue = Callable[[str, str], Any]


class ViewTable(DataTable[Text]):
    """Rows in the operator's order, narrowed by the operator's filter text."""

    class ViewChanged(Message):
        """The order or the filter changed: the screen's title says them."""

        def __init__(self, table: ViewTable) -> None:
            super().__init__()
            self.table = table

        @property
        def control(self) -> ViewTable:
            return self.table

    def __init__(
        self,
        *args: Any,
        default_label: str = "as listed",
        filter_headings: Sequence[str] | None = None,
        descending_first: Sequence[str] = (),
        **kwargs: Any,
    ) -> None:
        """``default_label``: the order of the rows as given, in words (``newest
        first``); ``filter_headings``: the columns ``/`` looks in (``None``: all);
        ``descending_first``: columns whose first sort is biggest first."""
        super().__init__(*args, **kwargs)
        self.default_label = default_label
        self.filter_headings = tuple(filter_headings) if filter_headings is not None else None
        self.descending_first = frozenset(descending_first)
        self.order: SortOrder | None = None
        #: The order a screen sorts by until the operator picks one (e.g. oldest first).
        self.default_order: SortOrder | None = None
        self.row_filter = ""
        #: How to sort a column by something better than its text (counts, times).
        self.sort_value: SortValue | None = None
        self._rows: list[Row] | None = None  # every row given to show_rows (``None``: the screen keeps them)
        self._headings: list[str] | None = None

    # -- what the operator chose ---------------------------------------------------
    @property
    def headings(self) -> list[str]:
        """The column headings, without sort marks."""
        if self._headings is None or len(self._headings) != len(self.ordered_columns):
            self._headings = [column.label.plain for column in self.ordered_columns]
        return self._headings

    def sortable_headings(self) -> list[str]:
        return [heading for heading in self.headings if heading.strip()]

    @property
    def effective_order(self) -> SortOrder | None:
        return self.order if self.order is not None else self.default_order

    def choose_sort(self, heading: str | None) -> None:
        """Sort by ``heading`` (again: the other way); ``None``: the default order."""
        if heading is None:
            self.order = None
        else:
            self.order = next_order(self.effective_order, heading, heading in self.descending_first)
        self._relabel()
        self.resort()
        self.post_message(self.ViewChanged(self))

    def set_default_order(self, order: SortOrder | None) -> None:
        """The order the rows take until the operator chooses one."""
        if order != self.default_order:
            self.default_order = order
            self._relabel()
            self.resort()

    def set_filter(self, text: str) -> None:
        """Show only the rows containing ``text`` (in ``filter_headings``)."""
        if text == self.row_filter:
            return
        self.row_filter = text
        self.resort()
        self.post_message(self.ViewChanged(self))

    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        """A click on a header sorts by that column (again: the other way)."""
        heading = self.headings[event.column_index]
        if heading.strip():
            self.choose_sort(heading)

    # -- rows ------------------------------------------------------------------------
    def show_rows(self, rows: Sequence[Row], *, rebuild: bool = False) -> None:
        """Show ``rows`` (the screen's, in its order), filtered and sorted;
        ``rebuild``: lay every row out again (a column's width changed)."""
        self._rows = list(rows)
        if rebuild:
            rebuild_rows(self, self.in_view_order(self._rows), shift=0)
        else:
            sync_rows(self, self.in_view_order(self._rows))

    def in_view_order(self, rows: Sequence[Row]) -> list[Row]:
        """``rows`` narrowed by the filter and in the chosen order."""
        if self.row_filter and self._rows is not None:
            rows = [row for row in rows if self._row_matches(row)]
        return arrange(rows, self.effective_order, self._value)

    def resort(self) -> None:
        """Apply the order and the filter again to the rows held."""
        if not self.is_mounted:
            return
        rows = self._rows if self._rows is not None else [
            (key.value, self.get_row(key)) for key in self.rows if key.value is not None
        ]
        arranged = self.in_view_order(rows)
        if [key for key, _cells in arranged] != [key.value for key in self.rows]:
            sync_rows(self, arranged)

    @property
    def total_rows(self) -> int:
        """Rows before the filter (the rows shown, when the screen keeps them)."""
        return len(self._rows) if self._rows is not None else self.row_count

    def _row_matches(self, row: Row) -> bool:
        _key, cells = row
        if self.filter_headings is None:
            texts = [cell.plain for cell in cells]
        else:
            texts = [cells[i].plain for i, heading in enumerate(self.headings)
                     if heading in self.filter_headings and i < len(cells)]
        return matches(texts, self.row_filter)

    def _value(self, row: Row, heading: str) -> Any:
        key, cells = row
        if self.sort_value is not None:
            return self.sort_value(key, heading)
        index = self.headings.index(heading) if heading in self.headings else -1
        return cell_value(cells[index].plain) if 0 <= index < len(cells) else None

    def _relabel(self) -> None:
        order = self.effective_order
        for column, heading in zip(self.ordered_columns, self.headings, strict=False):
            width = None if column.auto_width else column.width
            label = heading_label(heading, width, order)
            if column.label.plain != label:
                column.label = Text(label)
        self._clear_caches()  # (the header is drawn from a cache)
        self.refresh()

    # -- what the title says ----------------------------------------------------------
    def describe_view(self, *, partial: bool = False) -> Text:
        """``  filter 'x': 3 of 12 rows  sorted by Leased ▼`` (empty when neither);
        ``partial``: the table holds part of a longer list, and the sort says so."""
        text = Text()
        if self.row_filter:
            text.append(f"  filter {self.row_filter!r}: ", style="bold yellow")
            text.append(f"{self.row_count:,} of {self.total_rows:,} rows", style="yellow")
        order = self.effective_order
        if order is not None:
            text.append(f"  {order.describe()}", style="bold")
            if partial:
                text.append(" (the loaded rows only)", style="yellow")
        return text
