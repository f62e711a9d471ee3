"""Leases grouped by owner: who holds how many, when they last renewed, how many
have expired; revoke every lease of an owner (a dead worker) from here."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static

from sokka_tui.actions import Action
from sokka_tui.leases import LeaseState, lease_state
from sokka_tui.marks import Marks
from sokka_tui.render import counted, relative, safe_id, safe_text
from sokka_tui.screens.base import StoreScreen
from sokka_tui.screens.triage import run_bulk
from sokka_tui.widgets.tables import selected_key
from sokka_tui.widgets.view_table import ViewTable
from stores import Store, Task, TaskStatus, scroll

COLUMNS = (("Owner", 40), ("Leases", 8), ("Expired", 8), ("Newest renewal", 16), ("Topics", 60))


@dataclass
class Owner:
    pid: str
    tasks: list[Task]
    expired: int
    newest_renewal: int


class OwnersScreen(StoreScreen):
    """Running tasks by ``pid`` (snoozed tasks have no owner)."""

    SCREEN_NAME = "Owners"
    BINDINGS = [
        Binding("enter", "open_owner", "Open owner's tasks", id="owners.open"),
        Binding("r", "revoke_owner", "Revoke all of owner", id="owners.revoke"),
    ]

    def __init__(self, topic: str | None) -> None:
        super().__init__()
        self.leased_topic = topic
        self.owners: dict[str, Owner] = {}

    def compose_body(self) -> ComposeResult:
        yield Static(id="owners-title", classes="screen-title")
        table = ViewTable(
            id="owners", cursor_type="row", zebra_stripes=True,
            default_label="most expired leases first", descending_first=("Leases", "Expired", "Newest renewal"),
        )
        for heading, width in COLUMNS:
            table.add_column(heading, width=width)
        table.sort_value = self._sort_value
        yield table

    def _sort_value(self, pid: str, heading: str) -> object:
        owner = self.owners.get(pid)
        if owner is None:
            return None
        values = {
            "Owner": owner.pid, "Leases": len(owner.tasks), "Expired": owner.expired,
            "Newest renewal": owner.newest_renewal, "Topics": ", ".join(sorted({t.topic for t in owner.tasks})),
        }
        return values.get(heading)

    def on_view_table_view_changed(self, message: ViewTable.ViewChanged) -> None:
        if message.table.id == "owners":
            self._describe()

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#owners", DataTable).focus()

    def fetch(self, store: Store) -> dict[str, Owner]:
        now, grace = self.app.clock.now(), self.app.expiring_grace_ms
        by_pid: dict[str, list[Task]] = defaultdict(list)
        for task in scroll(lambda c: store.list_leased_tasks(self.leased_topic, c), {"limit": 1000}):
            if task.status == TaskStatus.RUNNING and task.pid:
                by_pid[task.pid].append(task)
        return {
            pid: Owner(
                pid, tasks, sum(1 for t in tasks if lease_state(t, now, grace) == LeaseState.STUCK),
                max(t.updated_at for t in tasks),
            )
            for pid, tasks in by_pid.items()
        }

    def show(self, payload: dict[str, Owner]) -> None:
        self.owners = payload
        now = self.app.clock.now()
        ordered = sorted(payload.values(), key=lambda o: (-o.expired, -len(o.tasks), o.pid))
        self.query_one("#owners", ViewTable).show_rows([
            (owner.pid, [
                safe_id(owner.pid, 40, "bold"),
                Text(f"{len(owner.tasks):,}", justify="right"),
                Text(f"{owner.expired:,}", justify="right", style="bold red" if owner.expired else "dim"),
                Text(relative(owner.newest_renewal, now)),
                safe_text(", ".join(sorted({t.topic for t in owner.tasks})), max_length=60),
            ])
            for owner in ordered
        ])
        self._describe()

    def _describe(self) -> None:
        title = Text("Lease owners", style="bold")
        title.append(" of ")
        title.append_text(safe_id(self.leased_topic or "every topic", 60, "bold"))
        title.append(f"  {counted(len(self.owners), 'owner')}; all expired = likely dead. r revokes all leases of one.")
        title.append_text(self.query_one("#owners", ViewTable).describe_view())
        self.query_one("#owners-title", Static).update(title)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.data_table.id == "owners":
            self.action_open_owner()

    def action_open_owner(self) -> None:
        """The task list of the owner's leases (in this view's topic, or every topic)."""
        from sokka_tui.query import TaskQuery

        pid = selected_key(self.query_one("#owners", DataTable))
        if pid is not None:
            self.app.open_tasks(TaskQuery(topic=self.leased_topic, owner=pid))

    def action_revoke_owner(self) -> None:
        pid = selected_key(self.query_one("#owners", DataTable))
        owner = self.owners.get(pid) if pid is not None else None
        if owner is None:
            return
        marks = Marks()
        marks.add(owner.tasks)
        leases = "lease" if len(marks) == 1 else "leases"
        headline = Text(f"Revoke the {leases} of {counted(len(marks), 'task')} held by ")
        headline.append_text(safe_id(owner.pid, 60))
        run_bulk(self, Action.REVOKE, marks, lambda _remark: self.tick(), headline)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "open_owner":
            return bool(self.owners) or None
        if action == "revoke_owner":
            if self.app.read_only:
                return False
            return bool(self.owners) or None
        return super().check_action(action, parameters)
