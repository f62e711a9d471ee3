"""Keeping a ``DataTable`` in step with fresh rows without losing the operator's place."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.geometry import Size
from textual.widgets import DataTable
from textual.widgets.data_table import RowDoesNotExist

Row = tuple[str, Sequence[Text]]


def sync_rows(table: DataTable, rows: Sequence[Row]) -> None:
    """Show ``rows`` (key, cells) in ``table``; the cursor stays on the same key.

    When the keys are unchanged and in the same order, cells are updated in
    place. Otherwise (rows came, went or moved) the table is rebuilt in one
    update, and the view does not jump: scrolled into the list, the cursor's
    row stays on its line of the screen (rows that arrived above push the view
    down with it); at the top, the view stays at the top, so new rows show.
    Either way the cursor's row stays in sight.
    """
    keys = [key for key, _ in rows]
    current = [row_key.value for row_key in table.rows]
    columns = list(table.columns)
    if keys == current:
        for key, cells in rows:
            for column, cell in zip(columns, cells, strict=False):
                if table.get_cell(key, column) != cell:
                    table.update_cell(key, column, cell)
        return

    def place(target: int, row_index: int, scroll_y: float) -> float:
        offset = scroll_y + (target - row_index) if scroll_y > 0 else 0
        return max(0, min(offset, table.max_scroll_y, target), target - rows_in_view(table) + 1)

    _replace_rows(table, rows, 0, place)


def rows_in_view(table: DataTable) -> int:
    """How many rows the table shows at once (rows are one line high)."""
    return max(1, table.scrollable_content_region.height - _header(table))


def _header(table: DataTable) -> int:
    return table.header_height if table.show_header else 0


def _set_height(table: DataTable) -> None:
    """The table measures its new rows only when idle; until then it would clamp
    the scroll offset to its old (empty) size. The height is known now."""
    height = sum(row.height for row in table.ordered_rows) + _header(table)
    table.virtual_size = Size(table.virtual_size.width, height)


def append_rows(table: DataTable, rows: Sequence[Row]) -> None:
    """Add rows at the end (the next keyset page), skipping keys already shown."""
    for key, cells in rows:
        if key not in table.rows:
            table.add_row(*cells, key=key)


def rebuild_rows(table: DataTable, rows: Sequence[Row], *, shift: int) -> None:
    """Show exactly ``rows``, after rows were added (``shift`` > 0) or removed
    (``shift`` < 0) above the cursor: the cursor stays on its key and on the same
    line of the screen, so the view does not jump.

    Cursor and scroll offset are restored before this returns, so no frame is
    ever painted with the table scrolled to the top or without a cursor (rows
    are one line high: ``shift`` rows are ``shift`` lines)."""
    _replace_rows(table, rows, shift, lambda _target, _row, scroll_y: max(0, min(scroll_y + shift, table.max_scroll_y)))


def _replace_rows(table: DataTable, rows: Sequence[Row], shift: int, place) -> None:
    """Show exactly ``rows`` in one update: the cursor on its key (else on its
    row moved by ``shift``), the scroll offset ``place(target, old row, old
    offset)``, both set before any frame is painted."""
    selected = selected_key(table)
    row_index = table.cursor_row
    scroll_y = table.scroll_y
    with table.app.batch_update():
        table.clear()
        for key, cells in rows:
            table.add_row(*cells, key=key)
        if not rows:
            return
        try:
            target = table.get_row_index(selected) if selected is not None else row_index + shift
        except RowDoesNotExist:
            target = row_index + shift
        target = max(0, min(target, len(rows) - 1))
        _set_height(table)
        table.scroll_target_y = table.scroll_y = place(target, row_index, scroll_y)
        table.move_cursor(row=target, animate=False, scroll=False)


def selected_key(table: DataTable) -> str | None:
    """The key of the row under the cursor, or ``None`` for an empty table."""
    if table.row_count == 0:
        return None
    try:
        return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
    except Exception:
        return None
