"""The task list's table: a ``DataTable`` that says when the mouse wheel moved it,
and the cell of its Error column.

The wheel scrolls a table's view and leaves its cursor where it was, so the
task screen could not tell a scroll of the operator's from one the table made
to follow its cursor. This one posts ``WheelScrolled`` after a wheel scroll
(the view has moved by then), and only then does the screen load the pages
next to the view and bring the selection into it.
"""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.message import Message

from sokka_tui.render import safe_text
from sokka_tui.widgets.view_table import ViewTable
from stores import Task
from stores.failures import error_key


def error_cell(task: Task, width: int) -> Text:
    """The Error column: a failed task's error key (the first line, or a
    Python traceback's exception: the key its failures group goes by), cut to
    ``width`` with "…"; empty for the others."""
    if task.error is None:
        return Text("")
    first = error_key(task.error)
    if not first:
        return Text("(no error text)", style="dim")
    return safe_text(first, "red", max_length=width)


class TaskTable(ViewTable):
    class WheelScrolled(Message):
        """The mouse wheel moved the view (the cursor did not move)."""

    def on_mouse_scroll_down(self, event: events.MouseScrollDown) -> None:
        self.post_message(self.WheelScrolled())

    def on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        self.post_message(self.WheelScrolled())
