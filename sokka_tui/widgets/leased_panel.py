"""The live leased-tasks panel: running and snoozed tasks, soonest expiry first.

The store is asked by the screen's refresh; this widget only shows what it is
given, and redraws the countdowns every second from the store's clock (local
clock + measured offset), without a store call.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from sokka_tui.clock import StoreClock
from sokka_tui.render import format_duration, safe_text
from sokka_tui.widgets.tables import selected_key, sync_rows
from stores import Page, Task, TaskStatus

BAR_WIDTH = 12
#: (heading, width): fixed widths, so countdowns never shift the columns.
COLUMNS = (
    ("Lease", 22), ("Left", BAR_WIDTH), ("Status", 8), ("Topic", 24), ("Task", 30), ("Owner", 24), ("Ver", 5),
)


def lease_state(task: Task, now_ms: int) -> tuple[str, str]:
    """(label, style) for a leased task's countdown: live, stuck, or wake due."""
    remaining = (task.lease_expires_at or 0) - now_ms
    if remaining > 0:
        verb = "wakes in" if task.status == TaskStatus.SNOOZED else "expires in"
        return f"{verb} {format_duration(remaining)}", "green" if remaining > 5_000 else "yellow"
    overdue = format_duration(-remaining)
    if task.status == TaskStatus.SNOOZED:
        return f"WAKE DUE {overdue} ago", "bold yellow"
    return f"STUCK {overdue} ago", "bold red"


def granted_ms(task: Task) -> int | None:
    """How long the lease (or snooze) was when the store granted it: the length
    the task's own store gave, not this console's ``lease_time_ms`` (workers open
    their stores with their own). Every write sets ``updated_at`` to the store's
    now, and the only writes that leave a task ``running`` (reserve, extend)
    set ``lease_expires_at`` to that same now plus the lease; a snooze sets it to
    now plus ``snooze_time``. ``None`` for a task without a lease."""
    if task.lease_expires_at is None:
        return None
    if task.status == TaskStatus.SNOOZED and task.snooze_time:
        return task.snooze_time
    granted = task.lease_expires_at - task.updated_at
    return granted if granted > 0 else None


def lease_bar(task: Task, now_ms: int) -> Text:
    """A bar of the lease (or snooze) left, out of the length granted; empty and
    red once it has ended."""
    window = granted_ms(task)
    remaining = (task.lease_expires_at or 0) - now_ms
    filled = 0 if window is None else max(0, min(BAR_WIDTH, round(BAR_WIDTH * remaining / window)))
    style = "red" if remaining <= 0 else ("yellow" if remaining <= 5_000 else "green")
    return Text("█" * filled + "░" * (BAR_WIDTH - filled), style=style)


class LeasedPanel(Vertical):
    """Leased tasks with countdowns; actions on the highlighted one work from here."""

    DEFAULT_CSS = """
    LeasedPanel { height: 14; border-top: solid $accent; }
    LeasedPanel > #leased-title { height: 1; padding: 0 1; }
    LeasedPanel > DataTable { height: 1fr; }
    """

    def __init__(self, clock: StoreClock, **kwargs) -> None:
        super().__init__(**kwargs)
        self.clock = clock
        self.tasks: dict[str, Task] = {}
        self.more = False

    def compose(self) -> ComposeResult:
        yield Static(id="leased-title")
        table: DataTable[Text] = DataTable(id="leased-table", cursor_type="row", zebra_stripes=True)
        for heading, width in COLUMNS:
            table.add_column(heading, width=width)
        yield table

    def on_mount(self) -> None:
        self.set_interval(1.0, self.redraw)

    @property
    def table(self) -> DataTable:
        return self.query_one("#leased-table", DataTable)

    def show_page(self, page: Page) -> None:
        self.tasks = {task.task_id: task for task in page.data}
        self.more = page.cursor is not None
        self.redraw()

    def redraw(self) -> None:
        now = self.clock.now()
        stuck = sum(
            1 for t in self.tasks.values()
            if t.status == TaskStatus.RUNNING and (t.lease_expires_at or 0) <= now
        )
        shown = f"{len(self.tasks)}{'+' if self.more else ''}"
        title = Text.assemble(("Leased tasks", "bold"), f"  {shown} shown, soonest first")
        if stuck:
            title.append(f"  {stuck} stuck (lease{'' if stuck == 1 else 's'} expired)", style="bold red")
        self.query_one("#leased-title", Static).update(title)
        rows = []
        for task in self.tasks.values():
            label, style = lease_state(task, now)
            rows.append((
                task.task_id,
                [
                    Text(label, style=style),
                    lease_bar(task, now),
                    Text(str(task.status)),
                    safe_text(task.topic, max_length=24),
                    safe_text(task.task_id, max_length=30),
                    safe_text(task.pid or "—", max_length=24),
                    Text(str(task.record_ver)),
                ],
            ))
        sync_rows(self.table, rows)

    def selected_task(self) -> Task | None:
        key = selected_key(self.table)
        return self.tasks.get(key) if key is not None else None
