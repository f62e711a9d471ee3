"""The live leased-tasks panel: running and snoozed tasks, soonest expiry first.

The store is asked by the screen's refresh; this widget only shows what it is
given, and redraws the countdowns every second from the store's clock (local
clock + measured offset), without a store call.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from sokka_tui import pauses
from sokka_tui.clock import StoreClock
from sokka_tui.leases import LeaseSnapshot, LeaseState, lease_state
from sokka_tui.render import ago, ahead, counted, safe_id
from sokka_tui.sorting import task_value
from sokka_tui.styles import LEASE_STYLES, PAUSED_STYLE, PAUSED_TEXT_STYLE, STATUS_STYLES
from sokka_tui.widgets.tables import selected_key
from sokka_tui.widgets.view_table import ViewTable
from stores import Task, TaskStatus, TopicPause

BAR_WIDTH = 12
#: (heading, width): fixed widths, so countdowns never shift the columns. The
#: task comes third: at 80 columns the countdown, the bar and the task are in sight.
COLUMNS = (
    ("Lease", 22), ("Left", BAR_WIDTH), ("Task", 30), ("Status", 8), ("Topic", 24), ("Owner", 24), ("Ver", 5),
)
#: The table's width, with each column's padding.
_TABLE_WIDTH = sum(width + 2 for _, width in COLUMNS)
#: On a screen narrower than the table, these columns give up room, in this
#: order, down to these widths (ids are cut in the middle, "…" showing the cut),
#: so every column is in sight from 120 columns up; narrower, the panel scrolls
#: sideways. Lease keeps room for its longest label, "WAKE DUE 10d 23h ago".
NARROWEST = {"Topic": 16, "Owner": 16, "Task": 26, "Lease": 20}
#: Room kept for the table's vertical scrollbar.
_SCROLLBAR = 2


def column_widths(screen_width: int) -> dict[str, int]:
    """Each column's width on a screen ``screen_width`` cells wide: ``COLUMNS``,
    narrowed as ``NARROWEST`` allows when the table would not fit."""
    widths = dict(COLUMNS)
    excess = _TABLE_WIDTH + _SCROLLBAR - screen_width
    for heading, narrowest in NARROWEST.items():
        give = max(0, min(excess, widths[heading] - narrowest))
        widths[heading] -= give
        excess -= give
    return widths


def lease_label(task: Task, now_ms: int, grace_ms: int) -> tuple[str, str]:
    """(label, style) for a leased task's countdown: live, expiring, stuck, waking
    or wake due (``sokka_tui.leases.lease_state`` says which)."""
    state = lease_state(task, now_ms, grace_ms)
    remaining = (task.lease_expires_at or 0) - now_ms
    if state in (None, LeaseState.LIVE):
        verb = "wakes" if task.status == TaskStatus.SNOOZED else "expires"
        return f"{verb} {ahead(remaining)}", "green" if remaining > 5_000 else "yellow"
    return f"{_LABELS[state]} {ago(remaining)}", LEASE_STYLES[state]


_LABELS = {
    LeaseState.EXPIRING: "expiring",
    LeaseState.WAKING: "waking",
    LeaseState.STUCK: "STUCK",
    LeaseState.WAKE_DUE: "WAKE DUE",
}


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


#: The panel's share of the screen's height: ``+`` / ``-`` step it within these bounds.
DEFAULT_SHARE = 0.4
SHARE_RANGE = (0.15, 0.8)
SHARE_STEP = 0.05
#: Lines around the rows: the border, the title, the column headings.
_CHROME = 3
#: The fewest lines the panel takes while it has rows (two rows show).
_MIN_LINES = _CHROME + 2


def panel_lines(rows: int, screen_lines: int, share: float, *, scrollbar: bool = False) -> int:
    """How many lines the panel takes: one when it has no rows, else its rows
    (and chrome, and a horizontal ``scrollbar`` when the screen is narrower than
    the table) up to ``share`` of the screen, never fewer than ``_MIN_LINES``."""
    if rows == 0:
        return 1
    chrome = _CHROME + scrollbar
    most = max(_MIN_LINES + scrollbar, int(screen_lines * share))
    return max(min(_MIN_LINES + scrollbar, chrome + rows), min(chrome + rows, most))


class LeasedPanel(Vertical):
    """Leased tasks with countdowns; actions on the highlighted one work from here.

    Its height follows its rows, up to ``share`` of the screen; with none it is
    one line. Its counts are the refresh's (``LeaseSnapshot``): the same numbers
    the rest of the screen shows; the countdowns go on every second between
    refreshes."""

    DEFAULT_CSS = """
    LeasedPanel { height: 1; border-top: solid $accent; }
    LeasedPanel.-empty { border-top: none; }
    LeasedPanel > #leased-title { height: 1; padding: 0 1; }
    LeasedPanel > DataTable { height: 1fr; }
    """

    def __init__(self, clock: StoreClock, *, share: float = DEFAULT_SHARE, **kwargs) -> None:
        super().__init__(**kwargs)
        self.clock = clock
        self.share = share
        self.snapshot: LeaseSnapshot | None = None
        #: The paused topics at the last refresh, by topic (the screen sets them).
        self.pauses: dict[str, TopicPause] = {}
        self.tasks: dict[str, Task] = {}
        self.more = False
        #: The columns' widths now (``column_widths`` of the screen's width).
        self.widths = dict(COLUMNS)

    def compose(self) -> ComposeResult:
        yield Static(id="leased-title")
        table = ViewTable(
            id="leased-table", cursor_type="row", zebra_stripes=True, default_label="soonest expiry first"
        )
        for heading, width in COLUMNS:
            table.add_column(heading, width=width)
        table.sort_value = self._sort_value
        yield table

    def _sort_value(self, key: str, heading: str) -> object:
        task = self.tasks.get(key)
        return task_value(task, heading) if task is not None else None

    def on_view_table_view_changed(self, message: ViewTable.ViewChanged) -> None:
        message.stop()
        self.redraw()

    def on_mount(self) -> None:
        self.set_interval(1.0, self._countdown)
        self.fit()

    def _countdown(self) -> None:
        # Not while its screen is hidden: rows last read minutes ago, counted down
        # since, would flash STUCK on the way back until the refresh lands.
        if self.screen.is_current:
            self.redraw()

    @property
    def table(self) -> ViewTable:
        return self.query_one("#leased-table", ViewTable)

    def show_snapshot(self, snapshot: LeaseSnapshot) -> None:
        """Show what one refresh read, at its time."""
        self.snapshot = snapshot
        self.tasks = {task.task_id: task for task in snapshot.page.data}
        self.more = snapshot.page.cursor is not None
        self.redraw(snapshot.now_ms)
        self.fit()

    def fit(self) -> None:
        """Size to the rows, within ``share`` of the screen (one line when empty)."""
        empty = not self.tasks
        self.set_class(empty, "-empty")
        table = self.table
        if empty and table.has_focus:
            self.screen.focus_next()  # not left on a list that is gone
        table.display = not empty
        screen = self.screen.size if self.screen.size.height else self.app.size
        widths = column_widths(screen.width)
        scrollbar = screen.width < sum(width + 2 for width in widths.values())
        self.styles.height = panel_lines(len(self.tasks), screen.height, self.share, scrollbar=scrollbar)
        if widths != self.widths:
            self.widths = widths
            for column, (heading, _) in zip(table.ordered_columns, COLUMNS, strict=True):
                column.width = widths[heading]
            self.redraw(rebuild=True)  # the cells cut to the new widths

    def redraw(self, now: int | None = None, *, rebuild: bool = False) -> None:
        now = self.clock.now() if now is None else now
        rows = []
        for task in self.tasks.values():
            label, style = lease_label(task, now, self.snapshot.grace_ms if self.snapshot else 0)
            rows.append((
                task.task_id,
                [
                    Text(label, style=style),
                    lease_bar(task, now),
                    safe_id(task.task_id, self.widths["Task"]),
                    Text(str(task.status), style=STATUS_STYLES.get(task.status, "")),
                    safe_id(task.topic, self.widths["Topic"]),
                    safe_id(task.pid or "—", self.widths["Owner"]),
                    Text(str(task.record_ver)),
                ],
            ))
        self.table.show_rows(rows, rebuild=rebuild)
        self.query_one("#leased-title", Static).update(self._title())  # (after the rows: the filter's count)

    def _paused_words(self) -> Text:
        """The paused topics this panel lists tasks of (its screen's topic, or every
        one): ``PAUSED 9m 12s left: reason`` for one topic, else their names."""
        topic = getattr(self.screen, "leased_topic", None)
        now = self.clock.now()
        if topic is not None:
            pause = self.pauses.get(topic)
            return Text("  ").append_text(pauses.styled(pause, now, max_length=60)) if pause else Text()
        if not self.pauses:
            return Text()
        names = sorted(self.pauses)
        words = Text("  ").append(f" {pauses.PAUSED} ", style=PAUSED_STYLE)
        for n, name in enumerate(names[:3]):
            words.append("," if n else "", style=PAUSED_TEXT_STYLE)
            words.append(" ")
            words.append_text(safe_id(name, 24, PAUSED_TEXT_STYLE))
            words.append(f" {pauses.time_left(self.pauses[name], now)}", style=PAUSED_TEXT_STYLE)
        if len(names) > 3:
            words.append(f" +{len(names) - 3} more", style=PAUSED_TEXT_STYLE)
        return words

    def _title(self) -> Text:
        title = Text("Leased tasks", style="bold")
        if not self.tasks:
            title.append("  no leased tasks", style="dim")
            title.append_text(self._paused_words())
            return title
        shown = f"{len(self.tasks)}{'+' if self.more else ''}"
        order = ", soonest first" if self.table.effective_order is None else ""  # (else the sort says it)
        title.append(f"  {shown} shown{order}")
        if self.snapshot is not None:
            stuck, expiring = self.snapshot.stuck_total, self.snapshot.expiring_total
            if stuck:
                title.append(f"  {stuck_words(stuck)}", style=LEASE_STYLES[LeaseState.STUCK])
            if expiring:
                title.append(f"  {counted(expiring, 'lease')} expiring", style=LEASE_STYLES[LeaseState.EXPIRING])
        title.append_text(self._paused_words())
        title.append_text(self.table.describe_view(partial=self.more))
        return title

    def selected_task(self) -> Task | None:
        key = selected_key(self.table)
        return self.tasks.get(key) if key is not None else None


def stuck_words(stuck: int) -> str:
    """``3 stuck (leases expired)``: what the panel and the topics screen both say."""
    return f"{stuck:,} stuck (lease{'' if stuck == 1 else 's'} expired)"
