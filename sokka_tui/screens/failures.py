"""Failures at a glance: a topic's failed tasks grouped by their error key (the
error's first line; a Python traceback's last line, its exception), most tasks
first, with when each group was first and last seen and a sample task. enter
lists a group's tasks; N re-runs every task of a group as a new task (preview,
confirm, results: the bulk triage of triage.py).

The store reads only the newest failures (``failure_groups``' scan limit), and
the title says so when the topic has older ones."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static

from sokka_tui.actions import Action
from sokka_tui.marks import Marks
from sokka_tui.query import TaskQuery
from sokka_tui.render import counted, relative, safe_id, safe_text
from sokka_tui.screens.base import StoreScreen
from sokka_tui.screens.triage import capture, run_bulk
from sokka_tui.selection import matching
from sokka_tui.widgets.tables import selected_key, sync_rows
from stores import FailureGroup, FailureGroups, Store, TaskStatus

COLUMNS = (("Tasks", 8), ("Error", 70), ("First seen", 12), ("Last seen", 12), ("Sample task", 28))


def group_query(topic: str, key: str) -> TaskQuery:
    """The task list of one failures group."""
    return TaskQuery(topic=topic, status=TaskStatus.FAILED, error_key=key)


class FailuresScreen(StoreScreen):
    """The failures groups of one topic, refreshed live."""

    SCREEN_NAME = "Failures"
    BINDINGS = [
        Binding("enter", "open_group", "List tasks", id="failures.open"),
        Binding("N", "rerun_group", "Re-run all as new", id="failures.rerun"),
    ]

    def __init__(self, topic: str) -> None:
        super().__init__()
        self.topic = topic
        self.leased_topic = topic
        self.groups: dict[str, FailureGroup] = {}

    def compose_body(self) -> ComposeResult:
        yield Static(id="failures-title", classes="screen-title")
        table: DataTable[Text] = DataTable(id="failures", cursor_type="row", zebra_stripes=True)
        for heading, width in COLUMNS:
            table.add_column(heading, width=width)
        yield table
        yield Static(
            Text("enter lists a group's tasks · N re-runs every task of a group as a new task", style="dim"),
            classes="action-line",
        )

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#failures", DataTable).focus()

    @property
    def table(self) -> DataTable:
        return self.query_one("#failures", DataTable)

    def fetch(self, store: Store) -> FailureGroups:
        return store.failure_groups(self.topic)

    def show(self, payload: FailureGroups) -> None:
        self.groups = {group.error_key: group for group in payload.groups}
        now = self.app.clock.now()
        sync_rows(self.table, [
            (group.error_key, [
                Text(f"{group.count:,}", justify="right", style="bold"),
                safe_text(group.error_key, "red", max_length=70) if group.error_key
                else Text("(no error text)", style="dim"),
                Text(relative(group.first_seen_ms, now)),
                Text(relative(group.last_seen_ms, now)),
                safe_id(group.sample_task_id, 28),
            ])
            for group in payload.groups
        ])
        self.query_one("#failures-title", Static).update(self._title(payload))
        self.refresh_bindings()

    def _title(self, payload: FailureGroups) -> Text:
        title = Text("Failures of ", style="bold")
        title.append_text(safe_text(self.topic, "bold", max_length=60))
        if not payload.groups:
            title.append("  no failed tasks")
            return title
        title.append(f"  {counted(payload.group_count, 'error')} in ")
        if payload.complete:
            title.append(counted(payload.scanned, "failed task"))
        else:
            title.append(f"the latest {counted(payload.scanned, 'failure')} (older ones not read)", style="yellow")
        if payload.group_count > len(payload.groups):
            title.append(f", the {len(payload.groups):,} largest shown")
        title.append(", most tasks first")
        return title

    def _selected_group(self) -> FailureGroup | None:
        key = selected_key(self.table)
        return self.groups.get(key) if key is not None else None

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.data_table.id == "failures":
            event.stop()
            self.action_open_group()

    def action_open_group(self) -> None:
        group = self._selected_group()
        if group is not None:
            self.app.open_tasks(group_query(self.topic, group.error_key))

    def action_rerun_group(self) -> None:
        """Every task of the group as it is now (page by page), previewed, then re-run."""
        group = self._selected_group()
        if group is None or self.app.read_only:
            return
        query = group_query(self.topic, group.error_key)
        now, after = self.app.clock.now(), self.app.stuck_after_ms

        def marked(marks: Marks) -> None:
            if not marks:
                self.notify("That group has no failed tasks any more.", markup=False)
                return
            headline = Text(f"Re-run {counted(len(marks), 'failed task')} with error ")  # what, never "marked"
            headline.append_text(safe_text(group.error_key or "(no error text)", max_length=60))
            run_bulk(self, Action.RERUN, marks, lambda _remark: self.tick(), headline)

        capture(self, lambda store: matching(store, query, now, after), marked)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "rerun_group" and self.app.read_only:
            return False
        if action in ("open_group", "rerun_group"):
            return self._selected_group() is not None or None
        return super().check_action(action, parameters)


__all__ = ["FailuresScreen", "group_query"]
