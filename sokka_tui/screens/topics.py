"""The first screen: a row per topic with counts, leases, and the oldest waiting task."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static

from sokka_tui import pauses
from sokka_tui.leases import LeaseState
from sokka_tui.rates import hour_counts
from sokka_tui.render import counted, format_duration, safe_text
from sokka_tui.screens.base import StoreScreen
from sokka_tui.sparklines import TOTAL_WIDTH, rate_cell
from sokka_tui.styles import LEASE_STYLES, PAUSED_TEXT_STYLE, STATUS_STYLES
from sokka_tui.widgets.leased_panel import stuck_words
from sokka_tui.widgets.tables import selected_key
from sokka_tui.widgets.view_table import ViewTable
from stores import TASK_STATUSES, Store, TaskStatus, TopicStats

if TYPE_CHECKING:
    from stores import TopicRates

#: (heading, width): the counts' widths are fixed, so columns never jump as counts
#: change; the topic column's follows the longest name, within ``TOPIC_WIDTH``
#: (and a quarter of the screen). Stuck (running tasks whose lease ended) next
#: to Running: at 80 columns everything up to Terminated is in sight. The
#: rates of the last hour (Finished/h, Failed/h: a sparkline and the hour's
#: total) follow the counts; their widths and Paused's are the widest they
#: take (``column_widths`` narrows them to the screen).
COLUMNS = (
    ("Topic", 40), ("Starting", 8), ("Running", 7), ("Stuck", 7), ("Snoozed", 7), ("Failed", 7),
    ("Terminated", 10), ("Finished/h", 26), ("Failed/h", 26), ("Leased", 7), ("Oldest waiting", 14),
    ("Paused", 40),
)
TOPIC_WIDTH = (12, 40)
#: The rates columns' widths, widest first: a sparkline of 20, 15, 12, 10 or 6
#: bars (3, 4, 5, 6 or 10 minutes each: whole divisors of the hour) and the total.
RATE_WIDTHS = tuple(bars + TOTAL_WIDTH + 1 for bars in (20, 15, 12, 10, 6))
RATE_HEADINGS = ("Finished/h", "Failed/h")
#: Paused's narrowest while a topic is paused (its mark and time left:
#: `` PAUSED  until resumed``; the reason is cut), and its width when none is.
PAUSED_NARROWEST = 22
PAUSED_NONE = len("Paused")
#: Room kept for the table's vertical scrollbar.
_SCROLLBAR = 2
#: Status counts by heading, for sorting.
_COUNTED = {"Starting": TaskStatus.STARTING, "Running": TaskStatus.RUNNING, "Snoozed": TaskStatus.SNOOZED,
            "Failed": TaskStatus.FAILED, "Terminated": TaskStatus.TERMINATED}


def column_widths(screen_width: int, topic_width: int, paused: bool) -> dict[str, int]:
    """Each column's width on a screen ``screen_width`` cells wide: ``COLUMNS``
    with the topic column ``topic_width`` wide and Paused just its heading when
    no topic is paused. When the table would not fit, the rates columns give up
    room, both alike, a step of ``RATE_WIDTHS`` at a time; then Paused, down to
    its mark and time left, if that makes the table fit (if nothing does, the
    table scrolls sideways and Paused keeps its reason). At 80 columns
    everything up to Terminated is in sight, as before."""
    widths = dict(COLUMNS)
    widths["Topic"] = topic_width
    if not paused:
        widths["Paused"] = PAUSED_NONE
    excess = sum(width + 2 for width in widths.values()) + _SCROLLBAR - screen_width
    for narrower in RATE_WIDTHS[1:]:
        if excess <= 0:
            break
        excess -= sum(widths[heading] - narrower for heading in RATE_HEADINGS)
        for heading in RATE_HEADINGS:
            widths[heading] = narrower
    if paused and 0 < excess <= widths["Paused"] - PAUSED_NARROWEST:
        widths["Paused"] -= excess
    return widths


@dataclass(frozen=True)
class TopicsRead:
    """What one refresh of the topics screen read: the topics' stats and the
    rates of the last hour (by topic; a topic without any is not in it)."""

    stats: list[TopicStats]
    rates: dict[str, TopicRates]
    now_ms: int


STUCK_COLUMN = 3


class TopicsScreen(StoreScreen):
    """Every topic of the store, refreshed live; enter opens one."""

    SCREEN_NAME = "Topics"
    NEEDS_LEASES = True  # the stuck counts come from the refresh's leased tasks
    SHOWS_PAUSES = True
    BINDINGS = [
        Binding("enter", "open_topic", "Open", id="topics.open"),
        Binding("X", "revoke_expired", "Revoke expired", id="topics.revoke_expired"),
        Binding("o", "owners", "Owners", id="topics.owners"),
        Binding("E", "failures", "Failures", id="topics.failures"),
        Binding("p", "pause_topic", "Pause topic", show=False, id="topic.pause"),
        Binding("P", "resume_topic", "Resume topic", show=False, id="topic.resume"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.stats: list[TopicStats] = []
        #: The rates of the last hour at the last refresh, by topic.
        self.rates: dict[str, TopicRates] = {}
        self._read: TopicsRead | None = None
        self.topic_width = TOPIC_WIDTH[1]
        #: The columns' widths now (``column_widths`` of the screen's width).
        self.widths = dict(COLUMNS)
        self._by_topic: dict[str, TopicStats] = {}
        self._stuck_by_topic: dict[str, int] = {}

    def compose_body(self) -> ComposeResult:
        yield Static(id="summary", classes="screen-title")
        # Counts and ages sort biggest (oldest) first; "/" looks at the name.
        table = ViewTable(
            id="topics", cursor_type="row", zebra_stripes=True,
            default_label="by name", filter_headings=("Topic",),
            descending_first=[heading for heading, _ in COLUMNS[1:]],
        )
        for heading, width in COLUMNS:
            table.add_column(heading, width=width)
        table.sort_value = self._sort_value
        yield table

    def _sort_value(self, topic: str, heading: str) -> object:
        stats = self._by_topic.get(topic)
        if stats is None:
            return None
        if heading == "Topic":
            return stats.topic
        if heading in _COUNTED:
            return stats.counts[_COUNTED[heading]]
        if heading == "Leased":
            return stats.counts[TaskStatus.RUNNING] + stats.counts[TaskStatus.SNOOZED]
        if heading == "Stuck":
            return self._stuck_by_topic.get(topic, 0)
        if heading in RATE_HEADINGS:  # the hour's total
            finished, failed = hour_counts(self.rates.get(topic))
            return sum(finished if heading == "Finished/h" else failed)
        if heading == "Oldest waiting":  # an age: the oldest task has the earliest time
            return -stats.oldest_starting_at if stats.oldest_starting_at is not None else None
        if heading == "Paused":  # the longest pause first; until resumed is the longest
            pause = self.pauses.get(topic)
            if pause is None:
                return None
            left = pause.left_ms(self.app.clock.now())
            return 10**15 if left is None else left
        return None

    def on_view_table_view_changed(self, message: ViewTable.ViewChanged) -> None:
        if message.table.id == "topics":
            self._summarize()

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#topics", DataTable).focus()

    def fetch(self, store: Store) -> TopicsRead:
        # The rates in the same refresh as the counts: the sparklines and the
        # counts next to them are of one moment.
        stats = store.topics()
        rates = store.rates()
        now = rates[0].now_ms if rates else self.app.clock.now()
        return TopicsRead(stats, {r.topic: r for r in rates}, now)

    def topic_stats(self, payload: TopicsRead) -> list[TopicStats]:
        return payload.stats

    def show(self, read: TopicsRead) -> None:
        if read is not self._read:  # (a new refresh, not the same one laid out again)
            self.app.latency.record(read.now_ms, read.stats)
        self._read = read
        self.rates = read.rates
        payload = read.stats
        # A paused topic without tasks has a row too (zero counts): its pause shows and P resumes it.
        known = {stats.topic for stats in payload}
        missing = [TopicStats(topic, dict.fromkeys(TASK_STATUSES, 0), 0, None)
                   for topic in self.pauses if topic not in known]
        if missing:
            payload = sorted([*payload, *missing], key=lambda stats: stats.topic)
        self.stats = payload
        self._by_topic = {stats.topic: stats for stats in payload}
        # What a reset of the store would lose, as far as this console has seen.
        self.app.identity_watch.tasks_shown = sum(sum(stats.counts.values()) for stats in payload)
        leases = self.leases
        now = leases.now_ms if leases is not None else self.app.clock.now()
        stuck_by_topic = leases.stuck if leases is not None else {s.topic: s.expired_leases for s in payload}
        self._stuck_by_topic = dict(stuck_by_topic)
        stuck_style = LEASE_STYLES[LeaseState.STUCK]
        widened = self._fit_columns(payload)
        finished_style, failed_style = STATUS_STYLES[TaskStatus.TERMINATED], STATUS_STYLES[TaskStatus.FAILED]
        rows = []
        for stats in payload:
            counts = stats.counts
            leased = counts[TaskStatus.RUNNING] + counts[TaskStatus.SNOOZED]
            finished, failed = hour_counts(self.rates.get(stats.topic))
            rows.append((
                stats.topic,
                [
                    safe_text(stats.topic, "bold", max_length=self.topic_width),
                    _count(counts[TaskStatus.STARTING]),
                    _count(counts[TaskStatus.RUNNING], STATUS_STYLES[TaskStatus.RUNNING]),
                    _count(stuck_by_topic.get(stats.topic, 0), stuck_style),
                    _count(counts[TaskStatus.SNOOZED], STATUS_STYLES[TaskStatus.SNOOZED]),
                    _count(counts[TaskStatus.FAILED], STATUS_STYLES[TaskStatus.FAILED]),
                    _count(counts[TaskStatus.TERMINATED], STATUS_STYLES[TaskStatus.TERMINATED]),
                    rate_cell(finished, self.widths["Finished/h"], finished_style),
                    rate_cell(failed, self.widths["Failed/h"], failed_style),
                    _count(leased),
                    Text(format_duration(now - stats.oldest_starting_at) if stats.oldest_starting_at else "—",
                         justify="right"),
                    self._paused_cell(stats.topic, now),
                ],
            ))
        # When widened, the cells are cut to the new width and laid out again.
        self.query_one("#topics", ViewTable).show_rows(rows, rebuild=widened)
        self._summarize()

    def _paused_cell(self, topic: str, now: int) -> Text:
        pause = self.pauses.get(topic)
        if pause is None:
            return Text("")
        return pauses.styled(pause, now, max_length=self.widths["Paused"])

    def pause_target(self) -> str | None:
        """The topic of the leased task under the cursor when the leased panel has
        the focus (as ``X``), else the selected topic row's."""
        leased = self.selected_task()
        return leased.topic if leased is not None else selected_key(self.query_one("#topics", DataTable))

    def _summarize(self) -> None:
        payload, leases = self.stats, self.leases
        stuck_style = LEASE_STYLES[LeaseState.STUCK]
        stuck = sum(self._stuck_by_topic.values())
        summary = Text.assemble(("Topics", "bold"), f"  {counted(len(payload), 'topic')}")
        if stuck:
            summary.append(f"  {stuck_words(stuck)}", style=stuck_style)
        if leases is not None and leases.expiring_total:
            expiring = f"  {counted(leases.expiring_total, 'lease')} expiring"
            summary.append(expiring, style=LEASE_STYLES[LeaseState.EXPIRING])
        if self.pauses:
            summary.append(f"  {counted(len(self.pauses), 'topic')} paused", style=PAUSED_TEXT_STYLE)
        if not payload:
            summary.append("  — the store has no tasks yet")
        summary.append_text(self.query_one("#topics", ViewTable).describe_view())
        self.query_one("#summary", Static).update(summary)

    def _fit_columns(self, payload: list[TopicStats]) -> bool:
        """The topic column as wide as the longest name, within ``TOPIC_WIDTH``
        and a quarter of the screen; the others as ``column_widths`` fits them
        to the screen; whether a width changed."""
        low, high = TOPIC_WIDTH
        screen_width = self.size.width or self.app.size.width
        high = max(low, min(high, screen_width // 4 if screen_width else high))
        topic_width = max(low, min(high, max((len(s.topic) for s in payload), default=0)))
        widths = column_widths(screen_width or sum(w + 2 for _, w in COLUMNS), topic_width, bool(self.pauses))
        self.topic_width = topic_width
        if widths == self.widths:
            return False
        self.widths = widths
        table = self.query_one("#topics", ViewTable)
        for column, (heading, _) in zip(table.ordered_columns, COLUMNS, strict=True):
            column.width = widths[heading]
        return True

    def on_resize(self, event: events.Resize) -> None:
        # (Textual calls StoreScreen's on_resize too: it fits the leased panel.)
        if self._read is not None:
            self.show(self._read)  # the columns follow the screen's width

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.data_table.id == "topics" and event.row_key.value is not None:
            self.open_topic(event.row_key.value)

    def action_open_topic(self) -> None:
        key = selected_key(self.query_one("#topics", DataTable))
        if key is not None:
            self.open_topic(key)

    def action_revoke_expired(self) -> None:
        """Revoke every expired lease of the selected topic (with a preview): the
        topic of the leased task under the cursor when the leased panel has the
        focus, else the topic row's."""
        from sokka_tui.screens.triage import revoke_expired_leases

        leased = self.selected_task()  # the panel's task only while the panel has the focus
        topic = leased.topic if leased is not None else selected_key(self.query_one("#topics", DataTable))
        if topic is not None:
            revoke_expired_leases(self, topic)

    def action_owners(self) -> None:
        self.app.open_owners(None)

    def action_failures(self) -> None:
        """The selected topic's failures, grouped by error."""
        topic = selected_key(self.query_one("#topics", DataTable))
        if topic is not None:
            self.app.open_failures(topic)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "revoke_expired" and self.app.read_only:
            return False
        if action == "failures" and selected_key(self.query_one("#topics", DataTable)) is None:
            return None
        return super().check_action(action, parameters)

    def open_topic(self, topic: str) -> None:
        from sokka_tui.query import TaskQuery

        self.app.open_tasks(TaskQuery(topic=topic))


def _count(n: int, style: str = "") -> Text:
    return Text(f"{n:,}", style=style if n else "dim", justify="right")
