"""One task: every field, its data pretty-printed, its error in full, its group,
and the lease or wake countdown."""

from __future__ import annotations

import json
from dataclasses import dataclass

from rich.console import Group
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Static

from sokka_tui import pauses
from sokka_tui.render import absolute, clean, counted, relative, safe_id, safe_text
from sokka_tui.screens.base import StoreScreen
from sokka_tui.timezones import Zone
from sokka_tui.widgets.action_hints import action_hints
from sokka_tui.widgets.leased_panel import lease_label
from sokka_tui.widgets.tables import selected_key, sync_rows
from stores import Store, Task

#: Data beyond this is cut in the view (the store keeps all of it).
MAX_DATA_CHARS = 200_000
MAX_ERROR_CHARS = 200_000
#: Data longer than this is highlighted once, not on every repaint.
HIGHLIGHT_ONCE_CHARS = 20_000
GROUP_LIMIT = 200
GROUP_COLUMNS = (("Task", 30), ("Topic", 24), ("Status", 10), ("Updated", 12), ("Ver", 5))


@dataclass
class Detail:
    task: Task | None
    group: list[Task]


class TaskDetailScreen(StoreScreen):
    """Everything about one task, refreshed live."""

    SCREEN_NAME = "Task"
    SHOWS_PAUSES = True  # the title says when the task's topic is paused
    BINDINGS = [
        Binding("g", "show_group", "Group", id="task.group"),
        Binding("A", "audit", "Audit", id="task.audit"),
        Binding("enter", "open_member", "Open member", show=False, id="task.open_member"),
        # Shown here (elsewhere only in help and the palette): the one screen about one task.
        Binding("N", "rerun_task", "Re-run as new", id="task.rerun"),
    ]

    def __init__(self, task_id: str) -> None:
        super().__init__()
        self.task_id = task_id
        self.shown_task: Task | None = None
        self.group: list[Task] = []
        self._shown_data_of: tuple | None = None

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="detail"):
            yield Static(id="detail-title", classes="screen-title")
            yield Static(id="lease-line")
            yield Static(id="fields")
            yield Static(id="task-actions", classes="action-line")
            yield Static(Text("Error", style="bold"), id="error-title", classes="section")
            yield Static(id="error")
            yield Static(Text("Data", style="bold"), classes="section")
            yield Static(id="data")
            yield Static(id="group-title", classes="section")
            group: DataTable[Text] = DataTable(id="group", cursor_type="row", zebra_stripes=True)
            for heading, width in GROUP_COLUMNS:
                group.add_column(heading, width=width)
            yield group

    def on_mount(self) -> None:
        super().on_mount()
        title = Text.assemble(("Task ", "bold"), safe_text(self.task_id, "bold"))
        self.query_one("#detail-title", Static).update(title)
        self.query_one("#detail").focus()
        self.set_interval(1.0, self._redraw_countdown)

    def fetch(self, store: Store) -> Detail:
        task = store.task(self.task_id)
        group = store.tasks(task.task_group_id)[:GROUP_LIMIT] if task is not None else []
        return Detail(task, group)

    def show(self, payload: Detail) -> None:
        self.shown_task = payload.task
        self.group = payload.group
        task = payload.task
        title = Text.assemble(("Task ", "bold"), safe_text(self.task_id, "bold"))
        pause = self.pauses.get(task.topic) if task is not None else None
        if pause is not None:  # its topic is paused: it is not reserved until the pause ends
            title.append("  topic ")
            title.append_text(safe_id(pause.topic, 40, "bold"))
            title.append(" ")
            title.append_text(pauses.styled(pause, self.app.clock.now(), max_length=80))
        self.query_one("#detail-title", Static).update(title)
        if task is None:
            self.query_one("#fields", Static).update(Text("This task does not exist (any more).", style="bold red"))
            return
        now, zone = self.app.clock.now(), self.app.zone
        table = Table(box=None, show_header=False, padding=(0, 2))
        table.add_column(style="bold", no_wrap=True)
        table.add_column()
        rows = [
            ("task_id", safe_text(task.task_id)),
            ("status", Text(str(task.status), style="bold")),
            ("topic", safe_text(task.topic)),
            ("sub_topic", safe_text(task.sub_topic)),
            ("task_group_id", safe_text(task.task_group_id)),
            ("description", safe_text(task.task_description or "—")),
            ("pid (owner)", safe_text(task.pid or "—")),
            ("record_ver", Text(str(task.record_ver))),
            ("timeout_ms", Text("—" if task.timeout_ms is None else f"{task.timeout_ms:,} ms")),
            ("snooze_time", Text("—" if task.snooze_time is None else f"{task.snooze_time:,} ms")),
            ("lease_expires_at", _when(task.lease_expires_at, now, zone)),
            ("created_at", _when(task.created_at, now, zone)),
            ("updated_at", _when(task.updated_at, now, zone)),
        ]
        for name, value in rows:
            table.add_row(name, value)
        self.query_one("#fields", Static).update(table)
        self._redraw_countdown()
        self._show_error(task)
        self._show_data(task)
        self._show_group()
        self.selection_changed()

    def _show_error(self, task: Task) -> None:
        has_error = task.error is not None
        self.query_one("#error-title").display = has_error
        error = self.query_one("#error", Static)
        error.display = has_error
        if has_error:
            text = task.error or "(empty)"
            cut = len(text) > MAX_ERROR_CHARS
            shown = safe_text(text[:MAX_ERROR_CHARS], "red", multiline=True)
            if cut:
                shown.append(f"\n… {counted(len(text) - MAX_ERROR_CHARS, 'more character')} not shown", style="dim")
            error.update(shown)

    def _show_data(self, task: Task) -> None:
        key = (task.task_id, task.record_ver)
        if self._shown_data_of == key:
            return  # data never changes after create; skip re-highlighting
        self._shown_data_of = key
        pretty = clean(json.dumps(task.data, indent=2, ensure_ascii=False), multiline=True)
        cut = len(pretty) > MAX_DATA_CHARS
        shown = pretty[:MAX_DATA_CHARS]
        syntax = Syntax(shown, "json", theme="ansi_dark", word_wrap=True, background_color="default")
        highlighted: Syntax | Text = syntax
        if len(shown) > HIGHLIGHT_ONCE_CHARS:
            # A Syntax lexes all of its text again on every repaint: a big task's
            # screen took seconds to show. Highlight it once, into a Text.
            once = syntax.highlight(shown)
            once.rstrip()
            once.overflow = "fold"
            highlighted = once
        widget = self.query_one("#data", Static)
        if cut:
            more = len(pretty) - MAX_DATA_CHARS
            note = Text(f"… {counted(more, 'more character')} not shown (the store keeps all of it)", style="dim")
            widget.update(Group(highlighted, note))
        else:
            widget.update(highlighted)

    def _show_group(self) -> None:
        others = [t for t in self.group if t.task_id != self.task_id]
        title = Text("Group ", style="bold")
        title.append_text(safe_id(self.shown_task.task_group_id if self.shown_task else "", 60))
        title.append(f"  {counted(len(others), 'other task')}")
        if len(self.group) >= GROUP_LIMIT:
            title.append(f" (first {GROUP_LIMIT})", style="dim")
        self.query_one("#group-title", Static).update(title)
        now = self.app.clock.now()
        sync_rows(self.query_one("#group", DataTable), [
            (t.task_id, [
                safe_id(t.task_id, 30), safe_id(t.topic, 24), Text(str(t.status)),
                Text(relative(t.updated_at, now)), Text(str(t.record_ver)),
            ])
            for t in others
        ])
        self.query_one("#group", DataTable).display = bool(others)

    def _redraw_countdown(self) -> None:
        task = self.shown_task
        line = self.query_one("#lease-line", Static)
        if task is None or task.lease_expires_at is None:
            line.update("")
            return
        label, style = lease_label(task, self.app.clock.now(), self.app.expiring_grace_ms)
        line.update(Text.assemble(("Lease: " if task.status == "running" else "Snooze: ", "bold"), (label, style)))

    def current_task(self) -> Task | None:
        return self.shown_task

    def audit_task_id(self) -> str | None:
        return self.task_id

    def selection_changed(self) -> None:
        hints = action_hints(self.shown_task, self.app.read_only, detailed=True)
        self.query_one("#task-actions", Static).update(hints)

    def action_show_group(self) -> None:
        if self.shown_task is not None:
            from sokka_tui.query import TaskQuery

            self.app.open_tasks(TaskQuery(group=self.shown_task.task_group_id))

    def action_open_member(self) -> None:
        key = selected_key(self.query_one("#group", DataTable))
        if key is not None:
            self.app.open_task(key)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.data_table.id == "group" and event.row_key.value is not None:
            self.app.open_task(event.row_key.value)


def _when(at_ms: int | None, now_ms: int, zone: Zone) -> Text:
    if at_ms is None:
        return Text("—")
    return Text.assemble(absolute(at_ms, zone), ("  " + relative(at_ms, now_ms), "dim"))
