"""The first screen: a row per topic with counts, leases, and the oldest waiting task."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static

from sokka_tui.render import counted, format_duration, safe_text
from sokka_tui.screens.base import StoreScreen
from sokka_tui.widgets.tables import selected_key, sync_rows
from stores import Store, TaskStatus, TopicStats

#: (heading, width): fixed widths, so columns never jump as counts change.
COLUMNS = (
    ("Topic", 40), ("Starting", 10), ("Running", 10), ("Snoozed", 10), ("Failed", 10),
    ("Terminated", 12), ("Leased", 10), ("Expired", 10), ("Oldest waiting", 15),
)


class TopicsScreen(StoreScreen):
    """Every topic of the store, refreshed live; enter opens one."""

    SCREEN_NAME = "Topics"
    BINDINGS = [
        Binding("enter", "open_topic", "Open", id="topics.open"),
        Binding("X", "revoke_expired", "Revoke expired", id="topics.revoke_expired"),
        Binding("o", "owners", "Owners", id="topics.owners"),
        Binding("E", "failures", "Failures", id="topics.failures"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.stats: list[TopicStats] = []

    def compose_body(self) -> ComposeResult:
        yield Static(id="summary", classes="screen-title")
        table: DataTable[Text] = DataTable(id="topics", cursor_type="row", zebra_stripes=True)
        for heading, width in COLUMNS:
            table.add_column(heading, width=width)
        yield table

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#topics", DataTable).focus()

    def fetch(self, store: Store) -> list[TopicStats]:
        return store.topics()

    def show(self, payload: list[TopicStats]) -> None:
        self.stats = payload
        # What a reset of the store would lose, as far as this console has seen.
        self.app.identity_watch.tasks_shown = sum(sum(stats.counts.values()) for stats in payload)
        now = self.app.clock.now()
        rows = []
        for stats in payload:
            counts = stats.counts
            leased = counts[TaskStatus.RUNNING] + counts[TaskStatus.SNOOZED]
            rows.append((
                stats.topic,
                [
                    safe_text(stats.topic, "bold", max_length=40),
                    _count(counts[TaskStatus.STARTING]),
                    _count(counts[TaskStatus.RUNNING], "cyan"),
                    _count(counts[TaskStatus.SNOOZED], "magenta"),
                    _count(counts[TaskStatus.FAILED], "red"),
                    _count(counts[TaskStatus.TERMINATED], "green"),
                    _count(leased),
                    _count(stats.expired_leases, "bold red") if stats.expired_leases else _count(0),
                    Text(format_duration(now - stats.oldest_starting_at) if stats.oldest_starting_at else "—",
                         justify="right"),
                ],
            ))
        sync_rows(self.query_one("#topics", DataTable), rows)
        expired = sum(s.expired_leases for s in payload)
        summary = Text.assemble(("Topics", "bold"), f"  {counted(len(payload), 'topic')}")
        if expired:
            summary.append(f"  {counted(expired, 'expired lease')}", style="bold red")
        if not payload:
            summary.append("  — the store has no tasks yet")
        self.query_one("#summary", Static).update(summary)

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
