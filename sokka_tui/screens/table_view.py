"""The keys every console screen has for its tables: ``S`` sorts, ``/`` opens
the filter line. They act on the focused table (the leased panel when it has
the focus), else on the screen's first table."""

from __future__ import annotations

from typing import TypeVar

from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Input

from sokka_tui.widgets.filter_line import FilterInput, FilterLine
from sokka_tui.widgets.view_table import ViewTable

ResultType = TypeVar("ResultType")

ROW_FILTER_HINT = "text in the rows · enter keeps · esc clears"


class TableViewScreen(Screen[ResultType]):
    """A screen with ``ViewTable``s: sorting and filtering them."""

    BINDINGS = [
        Binding("slash", "filter_rows", "Filter", show=False, id="view.filter_rows"),
        Binding("S", "sort_rows", "Sort", show=False, id="view.sort"),
    ]

    _filter_target: ViewTable | None = None

    # -- which table -------------------------------------------------------------------
    def view_table(self) -> ViewTable | None:
        """The table ``S`` and ``/`` act on (``None``: none here)."""
        focused = self.focused
        if isinstance(focused, ViewTable):
            return focused
        for table in self.query(ViewTable):
            if self._shown(table):
                return table
        return None

    def _shown(self, table: ViewTable) -> bool:
        node = table
        while node is not None and node is not self:
            if not node.display:
                return False
            node = node.parent  # type: ignore[assignment]
        return True

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("filter_rows", "sort_rows"):
            return self.view_table() is not None or bool(self.query(FilterLine))
        return True

    # -- S: sort -------------------------------------------------------------------------
    def action_sort_rows(self) -> None:
        from sokka_tui.screens.sort_picker import DEFAULT, SortPickerModal

        table = self.view_table()
        if table is None:
            return

        def chosen(heading: str | None) -> None:
            if heading is None:
                return
            table.choose_sort(None if heading == DEFAULT else heading)

        picker = SortPickerModal(table.sortable_headings(), table.effective_order, table.default_label)
        self.app.push_screen(picker, chosen)

    # -- /: the filter line ----------------------------------------------------------------
    def filter_start(self, table: ViewTable) -> str:
        """The text the filter line opens with."""
        return table.row_filter

    def filter_hint(self, table: ViewTable) -> str:
        return ROW_FILTER_HINT

    def filter_typed(self, table: ViewTable, text: str, final: bool) -> str | None:
        """Apply ``text`` (``final``: enter or esc); the reason it is refused, or ``None``."""
        table.set_filter(text)
        return None

    def open_filter_form(self) -> None:
        """ctrl+f on the filter line: the screen's full filter form, if it has one."""

    def action_filter_rows(self) -> None:
        existing = self.query(FilterLine)
        if existing:
            existing.first().input.focus()
            return
        table = self.view_table()
        if table is None:
            return
        self._filter_target = table
        line = FilterLine(self.filter_start(table), self.filter_hint(table), id="filter-line-bar")
        footers = self.query("Footer")
        if footers:
            self.mount(line, before=footers.last())
        else:
            self.mount(line)  # (its input takes the focus when mounted)

    def on_input_changed(self, event: Input.Changed) -> None:
        if isinstance(event.input, FilterInput) and self._filter_target is not None:
            event.stop()
            reason = self.filter_typed(self._filter_target, event.value, final=False)
            self._say(reason)

    def on_filter_line_closed(self, message: FilterLine.Closed) -> None:
        message.stop()
        line = self.query(FilterLine).first()
        table = self._filter_target
        if table is None:
            line.remove()
            return
        text = line.input.value if message.keep else ""
        reason = self.filter_typed(table, text, final=True)
        if reason is not None:
            line.say(reason)
            return  # refused: the line stays open to be put right
        self._filter_target = None
        line.remove()
        table.focus()
        self.refresh_bindings()
        if message.form:
            self.open_filter_form()

    def _say(self, reason: str | None) -> None:
        for line in self.query(FilterLine):
            line.say(reason)
