"""A bulk action running: chunk by chunk in a worker thread, with a progress bar;
cancellable between chunks; then a result per task, browsable by outcome, and
the skipped ones re-marked with one key.

When the store fails mid-run, the chunk in flight is *unknown*: listed as such,
and settled (done, skipped, gone) as soon as the store answers, from the tasks'
versions and this run's records in the audit trail (``sokka_tui.settle``). A
store that refuses to write at all (read-only, a role or ACL that may only read)
wrote nothing: that chunk is *refused* at once."""

from __future__ import annotations

import secrets
import threading
from collections import Counter
from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable, Footer, ProgressBar, Static

from sokka_tui.actions import VERBS, Action
from sokka_tui.leases import LeaseSnapshot, read_leases
from sokka_tui.render import about_row, counted, plain, safe_id, safe_text, sentence
from sokka_tui.screens.base import ConsoleScreen
from sokka_tui.widgets.leased_panel import LeasedPanel
from sokka_tui.widgets.status_bar import OutageBanner, StatusBar
from sokka_tui.widgets.view_table import ViewTable
from stores import StoreUnavailable, TaskStoreError
from stores.bulk import BulkItem, BulkOutcome, BulkResult

#: Items per store call: small enough that progress moves and cancel is prompt
#: (about 0.2 s per chunk on PostgreSQL), large enough that round trips and
#: commits don't dominate.
CHUNK = 500
OUTCOME_STYLES = {
    BulkOutcome.DONE: "green",
    BulkOutcome.SKIPPED: "yellow",
    BulkOutcome.REFUSED: "red",
    BulkOutcome.GONE: "dim",
}
#: The outcome of a task in the chunk the store failed on, until it is settled.
UNKNOWN = "unknown"
UNKNOWN_REASON = "The store failed while this chunk was being written: checked as soon as the store answers."
#: Rows one view of the results lists: a table of tens of thousands of rows
#: would freeze the console for seconds; the counters say how many there are.
MAX_ROWS = 200


@dataclass
class BulkProgressed(Message):
    results: list[BulkResult]
    bubble = False


@dataclass
class BulkStopped(Message):
    """The run ended: ``error`` when the store failed; ``unsent`` items were never sent."""

    unsent: list[BulkItem]
    error: TaskStoreError | None = None
    uncertain: list[BulkItem] | None = None
    bubble = False


class BulkRunScreen(ConsoleScreen[list[str] | None]):
    """Dismisses with the ids to re-mark (the skipped ones), or ``None``."""

    BINDINGS = [
        Binding("c", "cancel_run", "Cancel run", id="bulk.cancel_run"),
        Binding("escape", "close", "Back", id="bulk.close"),
        Binding("m", "remark_skipped", "Re-mark skipped", id="bulk.remark"),
        Binding("1", "show('all')", "All", id="bulk.all"),
        Binding("2", "show('done')", "Done", id="bulk.done"),
        Binding("3", "show('skipped')", "Skipped", id="bulk.skipped"),
        Binding("4", "show('refused')", "Refused", id="bulk.refused"),
        Binding("5", "show('gone')", "Gone", id="bulk.gone"),
        Binding("6", "show('unknown')", "Unknown", id="bulk.unknown"),
        Binding("l", "toggle_leased", "Leased", id="view.leased"),
    ]
    SCREEN_NAME = "Bulk action"
    DEFAULT_CSS = """
    BulkRunScreen #bulk-results { height: 1fr; }
    """

    def __init__(
        self, action: Action, items: list[BulkItem], *, snooze_ms: int | None, error: str | None,
        leased_topic: str | None = None, refused: list[BulkItem] | None = None,
    ):
        """``items`` are sent; ``refused`` (the transition table refuses them, as
        marked) are never sent, and listed as refused from the start."""
        super().__init__()
        #: The topic the leased panel shows, as on the screen the run started from (``None``: every topic).
        self.leased_topic = leased_topic
        self._loading_leased = False
        self.action = action
        self.items = items
        # One id for the whole run, so its records in the audit trail belong together.
        self.batch_id = f"{action}-{secrets.token_hex(4)}"
        self.snooze_ms = snooze_ms
        self.error = error
        done = "re-run" if action is Action.RERUN else f"{action}d"
        self.results: list[BulkResult] = [
            BulkResult(item.task_id, BulkOutcome.REFUSED, f"Not sent: a {item.status} task cannot be {done}.")
            for item in refused or []
        ]
        #: Every task the run is about: the ones sent and the ones never sent.
        self.total = len(items) + len(self.results)
        self.unsent: list[BulkItem] = []
        #: The tasks whose outcome is not known yet (the store failed while writing them).
        self.unknown: dict[str, BulkItem] = {}
        self.failure: TaskStoreError | None = None
        self.running = True
        #: The outcome listed (``UNKNOWN`` too); ``None``: every one.
        self.shown: str | None = None
        self.listed = self.matching = 0
        self._cancel = threading.Event()

    def compose(self) -> ComposeResult:
        app = self.app
        yield StatusBar(app.store_label, app.store.namespace, app.read_only_label, app.zone_label(),
                        id="status-bar")
        yield OutageBanner(id="outage")
        yield Static(id="bulk-title", classes="screen-title")
        yield ProgressBar(total=len(self.items), show_eta=False, id="bulk-progress")
        yield Static(id="bulk-counts", classes="action-line")
        table = ViewTable(id="bulk-results", cursor_type="row", zebra_stripes=True, default_label="as run")
        for heading, width in (("Task", 30), ("Outcome", 9), ("Reason", 100)):
            table.add_column(heading, width=width)
        yield table
        panel = LeasedPanel(app.clock, share=app.leased_share, id="leased")
        panel.display = app.show_leased
        yield panel
        yield Footer(show_command_palette=False)  # as every screen: the palette keys are in help

    def on_mount(self) -> None:
        self.query_one(OutageBanner).display = False
        self.query_one(StatusBar).skew_ms = self.app.clock.offset_ms  # as measured by the screen below
        self.app.show_outage_on(self)
        self._describe()
        self.query_one("#bulk-results", DataTable).focus()
        self.run_worker(self._run, thread=True, group="bulk", exit_on_error=False, name=f"bulk {self.action}")
        self._show_leased_from_below()
        self.set_interval(self.app.refresh_interval, self._load_leased, name="leased refresh")

    def on_screen_resume(self) -> None:
        self.query_one(LeasedPanel).display = self.app.show_leased
        self.app.show_outage_on(self)

    # -- the leased panel, as on every screen (its own worker: the run keeps going) --
    def _show_leased_from_below(self) -> None:
        """At first, the leased tasks the screen below showed a moment ago: no
        store call competes with the run's first chunk; the refresh takes over."""
        stack = self.app.screen_stack
        below = stack[-2].query(LeasedPanel) if len(stack) > 1 else None
        if below:
            snapshot = below.first().snapshot
            if snapshot is not None:
                self.query_one(LeasedPanel).show_snapshot(snapshot)
                return
        self._load_leased()

    def _load_leased(self) -> None:
        if not self.app.show_leased or self._loading_leased or self.app.screen is not self:
            return
        self._loading_leased = True
        store, topic, clock, grace = self.app.store, self.leased_topic, self.app.clock, self.app.expiring_grace_ms

        def load() -> None:
            snapshot: LeaseSnapshot | None
            try:
                local = clock.local()
                snapshot = read_leases(store, topic, local + (clock.offset_ms or 0), local, grace)
            except TaskStoreError:
                snapshot = None  # the run says when the store fails; the panel keeps what it showed
            self.app.call_from_thread(self._leased_loaded, snapshot)

        self.run_worker(load, thread=True, exclusive=True, group="leased", exit_on_error=False)

    def _leased_loaded(self, snapshot: LeaseSnapshot | None) -> None:
        self._loading_leased = False
        if snapshot is not None and self.is_mounted:
            self.query_one(LeasedPanel).show_snapshot(snapshot)

    def action_toggle_leased(self) -> None:
        self.app.show_leased = not self.app.show_leased
        panel = self.query_one(LeasedPanel)
        panel.display = self.app.show_leased
        if self.app.show_leased:
            self._load_leased()
        elif panel.table.has_focus:
            self.query_one("#bulk-results", DataTable).focus()

    # -- the run (worker thread) -----------------------------------------------------
    def _run(self) -> None:
        store = self.app.store
        sent = 0
        for start in range(0, len(self.items), CHUNK):
            if self._cancel.is_set():
                break
            chunk = self.items[start : start + CHUNK]
            try:
                results = store.apply_bulk(
                    self.action, chunk, snooze_ms=self.snooze_ms, error=self.error, batch_id=self.batch_id
                )
            except TaskStoreError as exc:
                # The chunk in flight may be partly written (the Redis store sends
                # one script per task): say so, and which tasks to check.
                self.post_message(BulkStopped(self.items[start + len(chunk):], exc, uncertain=chunk))
                return
            sent = start + len(chunk)
            self.post_message(BulkProgressed(results))
        self.post_message(BulkStopped(self.items[sent:]))

    # -- results (event loop) ----------------------------------------------------------
    def on_bulk_progressed(self, message: BulkProgressed) -> None:
        # Only the bar and the counters move during the run: filling a table of
        # thousands of rows chunk by chunk would slow the run and the keys.
        self.results.extend(message.results)
        self.query_one(ProgressBar).advance(len(message.results))
        self._describe()

    def on_bulk_stopped(self, message: BulkStopped) -> None:
        self.running = False
        self.unsent = message.unsent
        self.failure = error = message.error
        uncertain = message.uncertain or []
        if isinstance(error, StoreUnavailable):
            # Maybe written, maybe not: settled once the store answers again.
            self.unknown = {item.task_id: item for item in uncertain}
            self.app.settle_bulk_later(self.action, uncertain, self.batch_id)
        elif error is not None:
            # Any other failure is raised before anything is written (a read-only
            # store, a role or ACL that may only read, a bad argument): refused.
            reason = f"Nothing written: {sentence(plain(error, 200))}"
            self.results.extend(BulkResult(item.task_id, BulkOutcome.REFUSED, reason) for item in uncertain)
        if error is not None:
            self.notify(plain(error, 300), title="Bulk action stopped", severity="error", markup=False)
        self._list_rows()
        self._describe()
        self.refresh_bindings()
        self._load_leased()  # the run changed leases: the panel shows them now

    def settled(self, results: list[BulkResult]) -> None:
        """The unknown tasks ``results`` tell of are known now: done, skipped or gone."""
        for result in results:
            self.unknown.pop(result.task_id, None)
        self.results.extend(results)
        self._list_rows()
        self._describe()
        self.refresh_bindings()

    def _list_rows(self) -> None:
        shown = [
            (result.task_id, str(result.outcome), OUTCOME_STYLES[result.outcome], result.reason)
            for result in self.results
            if self.shown is None or result.outcome == self.shown
        ]
        if self.shown in (None, UNKNOWN):
            shown += [(task_id, UNKNOWN, "bold red", UNKNOWN_REASON) for task_id in self.unknown]
        self.listed, self.matching = min(len(shown), MAX_ROWS), len(shown)
        rows: dict[str, list[Text]] = {}
        for task_id, outcome, style, reason in shown[:MAX_ROWS]:
            rows.setdefault(task_id, [
                safe_id(task_id, 30), Text(outcome, style=style), safe_text(about_row(reason, task_id), max_length=100),
            ])
        self.query_one("#bulk-results", ViewTable).show_rows(list(rows.items()))

    def on_view_table_view_changed(self, message: ViewTable.ViewChanged) -> None:
        self._describe()

    def _describe(self) -> None:
        counts = Counter(result.outcome for result in self.results)
        title = Text.assemble((f"{VERBS[self.action]} {counted(self.total, 'task')}", "bold"))
        if self.running:
            title.append("  running… (c cancels after the chunk in flight; results are listed at the end)",
                         style="yellow")
        elif self.failure is not None:
            title.append("  stopped: the store failed", style="bold red")
        elif self.unsent:
            title.append("  cancelled", style="yellow")
        else:
            title.append("  finished", style="green")
        self.query_one("#bulk-title", Static).update(title)
        line = Text()
        for outcome in BulkOutcome:
            line.append(f"{outcome} {counts[outcome]:,}   ", style=OUTCOME_STYLES[outcome])
        if self.unsent:
            line.append(f"not sent {len(self.unsent):,}   ", style="bold")
        if self.unknown:
            line.append(f"unknown {len(self.unknown):,} (the store failed while writing them: checked as soon "
                        "as it answers)", style="bold red")
        shown = "all" if self.shown is None else self.shown
        listed = f" (the first {self.listed:,} of {self.matching:,})" if self.matching > self.listed else ""
        view = self.query_one("#bulk-results", ViewTable).describe_view(partial=self.matching > self.listed)
        line.append(f"\nShowing {shown}{listed}. 1 all · 2 done · 3 skipped · 4 refused · 5 gone · 6 unknown · "
                    "m re-marks the skipped", style="dim")
        line.append_text(view)
        self.query_one("#bulk-counts", Static).update(line)

    # -- keys ---------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "cancel_run":
            return self.running
        if action in ("close", "remark_skipped"):
            if self.running:
                return None
            if action == "remark_skipped":
                return any(r.outcome == BulkOutcome.SKIPPED for r in self.results) or None
        return True

    def action_cancel_run(self) -> None:
        self._cancel.set()
        self.notify("Cancelling after the chunk in flight.", markup=False)

    def action_show(self, outcome: str) -> None:
        self.shown = None if outcome == "all" else outcome
        if not self.running:
            self._list_rows()
        self._describe()

    def action_close(self) -> None:
        self.dismiss(None)

    def action_remark_skipped(self) -> None:
        self.dismiss([r.task_id for r in self.results if r.outcome == BulkOutcome.SKIPPED])
