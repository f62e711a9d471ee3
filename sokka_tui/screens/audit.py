"""The audit trail: every write made by an operator (console or ``sokka``),
newest first, live; filtered by task with ``/`` or when opened from a task."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static

from sokka_tui import pauses
from sokka_tui.render import counted, format_duration, safe_id, safe_text
from sokka_tui.screens.base import StoreScreen
from sokka_tui.screens.prompt import TaskIdModal
from sokka_tui.styles import PAUSED_TEXT_STYLE, status_style
from sokka_tui.timezones import UTC, Zone
from sokka_tui.widgets.tables import selected_key
from sokka_tui.widgets.view_table import ViewTable
from stores import Page, Store
from stores.audit import AuditEntry
from stores.protocol import MAX_PAGE_LIMIT

#: Records shown at first; scrolling to the end shows this many more.
PAGE = 200
#: The columns of ``sokka audit`` (sokka_tui/ops/output.py), narrower: with their
#: padding and the scroll bar they fit 160 cells, so no horizontal scroll bar (in
#: UTC: another zone's offsets take 7 cells more, ``columns``).
COLUMNS = (
    ("When (UTC)", 14), ("Operator", 14), ("Tool", 9), ("Action", 9), ("Task", 26), ("Topic", 13),
    ("Status", 21), ("Ver", 5), ("Detail", 12), ("Bulk run", 15),
)


def columns(zone: Zone = UTC) -> tuple[tuple[str, int], ...]:
    """``COLUMNS`` for ``zone``: ``When (UTC)``, or ``When`` with each time's offset."""
    return ((zone.heading("When"), COLUMNS[0][1] + zone.cell_extra), *COLUMNS[1:])


class AuditScreen(StoreScreen):
    """The store's audit trail (read-only: records are never changed from here)."""

    SCREEN_NAME = "Audit trail"
    BINDINGS = [
        Binding("slash", "filter_rows", "Filter", id="audit.filter"),
        Binding("F", "filter_task", "Filter by task", show=False, id="audit.filter_task"),
        Binding("enter", "open_task", "Open task", id="audit.open"),
        Binding("L", "open_linked", "Open linked task", show=False, id="audit.open_linked"),
    ]

    def __init__(self, task_id: str | None = None) -> None:
        super().__init__()
        self.task_id = task_id
        self.limit = PAGE
        self.entries: dict[str, AuditEntry] = {}
        self.more = False

    def compose_body(self) -> ComposeResult:
        yield Static(id="audit-title", classes="screen-title")
        table = ViewTable(id="audit", cursor_type="row", zebra_stripes=True, default_label="newest first")
        for heading, width in columns(self.app.zone):
            table.add_column(heading, width=width)
        table.sort_value = self._sort_value
        yield table

    def _sort_value(self, audit_id: str, heading: str) -> object:
        entry = self.entries.get(audit_id)
        if entry is None:
            return None
        values: dict[str, object] = {
            self.app.zone.heading("When"): entry.at, "Operator": entry.operator, "Tool": entry.tool,
            "Action": entry.action, "Task": entry.task_id, "Topic": entry.topic,
            "Status": "" if entry.status_after is None else str(entry.status_after),
            "Ver": entry.record_ver_after, "Detail": entry.detail or None, "Bulk run": entry.batch_id,
        }
        return values.get(heading)

    def on_view_table_view_changed(self, message: ViewTable.ViewChanged) -> None:
        if message.table.id == "audit":
            self._describe()

    def filter_hint(self, table: ViewTable) -> str:
        if table.id != "audit":
            return super().filter_hint(table)
        return "text in the rows loaded · enter keeps · esc clears · ctrl+f: one task's records"

    def open_filter_form(self) -> None:
        self.action_filter_task()

    def on_mount(self) -> None:
        super().on_mount()
        self._describe()
        self.query_one("#audit", DataTable).focus()

    def fetch(self, store: Store) -> Page[AuditEntry]:
        return store.audit_log(self.task_id, {"limit": self.limit})

    def show(self, payload: Page[AuditEntry]) -> None:
        self.more = payload.cursor is not None
        self.entries = {entry.audit_id: entry for entry in payload.data}
        self.query_one("#audit", ViewTable).show_rows([(e.audit_id, _cells(e, self.app.zone)) for e in payload.data])
        self._describe()

    def _describe(self) -> None:
        title = Text("Audit trail", style="bold")
        if self.task_id is not None:
            title.append(" of task ")
            title.append_text(safe_id(self.task_id, 60, "bold"))
        shown = len(self.entries)
        table = self.query_one("#audit", ViewTable)
        title.append(f"  {counted(shown, 'record')}" + (", newest first" if table.effective_order is None else ""))
        if self.more:
            title.append(f" (the newest {shown:,}; scroll down for more)", style="dim")
        title.append_text(table.describe_view(partial=self.more))
        linked = self._linked() if self.is_mounted else None
        if linked is not None:  # a re-run's record: say whom it links to (its Detail cell is short)
            title.append("  re-run link: ", style="bold")
            title.append_text(safe_text(linked, "bold", max_length=60))
            title.append(" (L opens it)", style="dim")
        else:
            title.append("  Every write made through sokka-tui or sokka, recorded with it.", style="dim")
        self.query_one("#audit-title", Static).update(title)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        super().on_data_table_row_highlighted(event)
        self._describe()
        table = event.data_table
        if table.id == "audit" and self.more and table.cursor_row >= table.row_count - 1:
            self.limit = min(self.limit + PAGE, MAX_PAGE_LIMIT)
            self.tick()

    # -- keys -------------------------------------------------------------------
    def action_filter_task(self) -> None:
        def apply(task_id: str | None) -> None:
            if task_id is None:
                return
            self.task_id = task_id or None
            self.limit = PAGE
            self.entries = {}
            self.query_one("#audit", DataTable).clear()
            self._describe()
            self.tick()

        self.app.push_screen(TaskIdModal(Text("Empty shows every task's records."), self.task_id or ""), apply)

    def action_open_task(self) -> None:
        """The record's task; a topic record's (a pause, a resume) topic's tasks."""
        key = selected_key(self.query_one("#audit", DataTable))
        if key is not None and key in self.entries:
            entry = self.entries[key]
            if entry.is_topic_record:
                from sokka_tui.query import TaskQuery

                self.app.open_tasks(TaskQuery(topic=entry.topic))
            else:
                self.app.open_task(entry.task_id)

    def _linked(self) -> str | None:
        """The task on the other side of the selected record's re-run, if it is one."""
        key = selected_key(self.query_one("#audit", DataTable))
        entry = self.entries.get(key) if key is not None else None
        return linked_task(entry) if entry is not None else None

    def action_open_linked(self) -> None:
        task_id = self._linked()
        if task_id is not None:
            self.app.open_task(task_id)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.data_table.id == "audit":
            event.stop()
            self.action_open_task()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("snooze_task", "fail_task", "terminate_task", "revoke_lease", "rerun_task"):
            panel_task = super().selected_task()  # only the leased panel selects a task here
            return super().check_action(action, parameters) if panel_task is not None else False
        if action == "open_task":
            return bool(self.entries) or None
        if action == "open_linked":
            return self._linked() is not None or None
        if action == "audit":
            return False  # already here
        return super().check_action(action, parameters)


def _cells(entry: AuditEntry, zone: Zone) -> list[Text]:
    when = Text(zone.cell(entry.at, "%m-%d %H:%M:%S"))  # month-day and time to the second
    when.stylize("dim", 0, 6)
    if entry.is_topic_record:  # a pause or a resume: of the topic, no task
        return [
            when,
            safe_text(entry.operator, max_length=14),
            safe_text(entry.tool, "dim", max_length=9),
            Text(entry.action, style=PAUSED_TEXT_STYLE if entry.action == "pause" else "bold"),
            Text("(the topic)", style="dim"),
            safe_id(entry.topic, 13),
            Text("—", style="dim"),
            Text("—", style="dim"),
            safe_text(pauses.audit_detail(entry), max_length=12),
            safe_id(entry.batch_id or "", 15, "dim"),
        ]
    change = Text()
    if entry.status_before is not None:
        change.append(str(entry.status_before), status_style(entry.status_before))
        change.append(" → ")
    change.append(str(entry.status_after), f"bold {status_style(entry.status_after)}".strip())
    version = f"{entry.record_ver_before}→{entry.record_ver_after}" if entry.record_ver_before else "1"
    return [
        when,
        safe_text(entry.operator, max_length=14),
        safe_text(entry.tool, "dim", max_length=9),
        Text(entry.action, style="bold"),
        safe_id(entry.task_id, 26),
        safe_id(entry.topic, 13),
        change,
        Text(version),
        _detail(entry),
        safe_id(entry.batch_id or "", 15, "dim"),
    ]


def linked_task(entry: AuditEntry) -> str | None:
    """A re-run links two tasks: its ``rerun`` record (on the original) names the
    new task, and the new task's ``create`` record names the original."""
    if entry.action in ("rerun", "create") and entry.detail:
        return entry.detail
    return None


def _detail(entry: AuditEntry) -> Text:
    if entry.action == "rerun":
        return safe_text(f"→ {entry.detail}", "bold", max_length=12)
    if entry.action == "create" and entry.detail:
        return safe_text(f"← {entry.detail}", max_length=12)
    if entry.action == "snooze" and entry.detail.isdigit():
        return Text(f"for {format_duration(int(entry.detail))}")
    if entry.action == "reserve":
        return Text("by ").append_text(safe_id(entry.detail, 9))
    return safe_text(entry.detail, "red" if entry.action == "fail" else "", max_length=12)


__all__ = ["AuditScreen"]
