"""The task list's table: a ``DataTable`` that says when the mouse wheel moved it.

The wheel scrolls a table's view and leaves its cursor where it was, so the
task screen could not tell a scroll of the operator's from one the table made
to follow its cursor. This one posts ``WheelScrolled`` after a wheel scroll
(the view has moved by then), and only then does the screen load the pages
next to the view and bring the selection into it.
"""

from __future__ import annotations

from textual import events
from textual.message import Message
from textual.widgets import DataTable


class TaskTable(DataTable):
    class WheelScrolled(Message):
        """The mouse wheel moved the view (the cursor did not move)."""

    def on_mouse_scroll_down(self, event: events.MouseScrollDown) -> None:
        self.post_message(self.WheelScrolled())

    def on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        self.post_message(self.WheelScrolled())
