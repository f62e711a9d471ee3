"""What every console screen shares: the header, the leased panel, live refresh,
and the operator's actions on the selected task.

Refresh: one load in flight at a time, in a thread worker. The next tick is
armed only when the last load has finished, so polls never pile up on a slow
server; a tick is skipped while a modal or another screen is on top.

One snapshot per refresh: the load reads the store's clock once, then the
screen's data and the leased tasks (``LeaseSnapshot``) at that one ``now``;
every count the screen and the leased panel show comes from it, so they
never disagree.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.timer import Timer
from textual.widgets import DataTable
from textual.worker import Worker, WorkerState

from sokka_tui import pauses
from sokka_tui.actions import BUTTONS, VERBS, Action, Request, perform, refusal
from sokka_tui.leases import LeaseSnapshot, read_leases
from sokka_tui.messages import ActionFinished, DataLoaded, StoreFailed, StoreReset, TopicActionFinished
from sokka_tui.render import format_duration, plain, safe_id, safe_text, sentence
from sokka_tui.screens.table_view import TableViewScreen
from sokka_tui.settle import Attempt
from sokka_tui.widgets.footer import Footer
from sokka_tui.widgets.leased_panel import SHARE_STEP, LeasedPanel
from sokka_tui.widgets.status_bar import OutageBanner, StatusBar
from stores import (
    InvalidStatusTransition,
    Store,
    StoreUnavailable,
    Task,
    TaskConcurrentlyUpdated,
    TaskNotFound,
    TaskStoreError,
    TopicPause,
    TopicStats,
    WrongOwner,
)

if TYPE_CHECKING:
    from textual import getters

    from sokka_tui.app import SokkaApp

_TASK_ACTIONS = {
    "snooze_task": Action.SNOOZE,
    "fail_task": Action.FAIL,
    "terminate_task": Action.TERMINATE,
    "revoke_lease": Action.REVOKE,
    "rerun_task": Action.RERUN,
}
# Refusals that mean "the task is not as you saw it": show what changed.
_CHANGED = (TaskConcurrentlyUpdated, InvalidStatusTransition, WrongOwner, TaskNotFound)


ResultType = TypeVar("ResultType")


class ConsoleScreen(TableViewScreen[ResultType]):
    """A screen of the console (``ResultType``: what it dismisses with)."""

    if TYPE_CHECKING:
        # Textual types ``self.app`` as ``App[object]``; a console screen runs only
        # in SokkaApp, so the type checker sees SokkaApp's attributes, no cast:
        # Textual's own ``getters.app`` descriptor, declared for the type checker
        # only (at run time ``app`` stays Textual's property, and nothing here
        # imports the app module: it imports the screens).
        app = getters.app(SokkaApp)


class StoreScreen(ConsoleScreen[None]):
    """A screen that loads from the store on a timer and acts on a selected task."""

    BINDINGS = [
        Binding("escape", "back", "Back", id="view.back"),
        Binding("R", "refresh_now", "Refresh", show=False, id="view.refresh"),
        Binding("l", "toggle_leased", "Leased", id="view.leased"),
        Binding("plus,equals_sign", "resize_leased(1)", "Grow leased panel", show=False, id="view.leased_grow"),
        Binding("minus", "resize_leased(-1)", "Shrink leased panel", show=False, id="view.leased_shrink"),
        Binding("j", "cursor_down", "Down", show=False, id="view.down"),
        Binding("k", "cursor_up", "Up", show=False, id="view.up"),
        Binding("s", "snooze_task", "Snooze", id="task.snooze"),
        Binding("f", "fail_task", "Fail", id="task.fail"),
        Binding("t", "terminate_task", "Terminate", id="task.terminate"),
        Binding("r", "revoke_lease", "Revoke", id="task.revoke"),
        Binding("N", "rerun_task", "Re-run as new", show=False, id="task.rerun"),
        Binding("y", "copy_task_id", "Copy id", show=False, id="task.copy"),
        Binding("A", "audit", "Audit trail", show=False, id="view.audit"),
        # Before a table's own home/end (which scroll sideways): same keys, same meaning on every list.
        Binding("home", "first_row", show=False, priority=True, id="view.first_row"),
        Binding("end", "last_row", show=False, priority=True, id="view.last_row"),
    ]
    #: Keys of this screen that move the cursor, listed in help.
    HELP_MOVE_KEYS: tuple[tuple[str, str], ...] = (("home / end", "First / last row"),)
    #: The topic the leased panel shows (``None``: every topic).
    leased_topic: str | None = None
    #: A short name for help and notifications.
    SCREEN_NAME = ""
    #: Read the leased tasks on every refresh, even with the panel hidden (the
    #: screen shows their counts).
    NEEDS_LEASES = False
    #: Read the paused topics on every refresh, even with the leased panel
    #: hidden (the screen shows them; the panel does too).
    SHOWS_PAUSES = False

    def __init__(self) -> None:
        super().__init__()
        self._loading = False
        self._reload_after = False
        self._timer: Timer | None = None
        self._started = False
        self._first_resume = True
        #: The leased tasks as the last refresh read them (``None``: not read).
        self.leases: LeaseSnapshot | None = None
        #: The paused topics as the last refresh read them, by topic.
        self.pauses: dict[str, TopicPause] = {}

    # -- layout ---------------------------------------------------------------
    def compose(self) -> ComposeResult:
        app = self.app
        yield StatusBar(app.store_label, app.store.namespace, app.read_only_label, app.zone_label(),
                        id="status-bar")
        yield OutageBanner(id="outage")
        yield from self.compose_body()
        panel = LeasedPanel(app.clock, share=app.leased_share, id="leased")
        panel.display = app.show_leased
        yield panel
        yield Footer()

    def compose_body(self) -> ComposeResult:
        raise NotImplementedError

    def on_mount(self) -> None:
        # Textual calls the on_mount of every class that defines one, and the
        # subclasses call this one too: start loading once, not once per call.
        if self._started:
            return
        self._started = True
        self.query_one(OutageBanner).display = False
        self.tick()

    def on_screen_resume(self) -> None:
        panel = self.query_one(LeasedPanel)
        panel.display = self.app.show_leased
        if panel.share != self.app.leased_share:  # changed on another screen
            panel.share = self.app.leased_share
            panel.fit()
        self.app.show_outage_on(self)
        first, self._first_resume = self._first_resume, False
        if first and self._loading:
            return  # shown for the first time, its first load (from on_mount) in flight: no second one
        self.tick()

    # -- loading ----------------------------------------------------------------
    def fetch(self, store: Store) -> Any:
        """This screen's data (runs in a worker thread)."""
        raise NotImplementedError

    def topic_stats(self, payload: Any) -> list[TopicStats] | None:
        """The topics' stats in ``payload``, if ``fetch`` read them (the leased
        counts fall back on them past a backlog of thousands)."""
        return None

    def show(self, payload: Any) -> None:
        """Show what ``fetch`` returned (on the event loop)."""
        raise NotImplementedError

    def tick(self) -> None:
        self._timer = None
        if self._loading:
            self._reload_after = True
            return
        if self.app.screen is not self or not self.is_mounted:
            self._arm()  # paused while a modal or another screen is on top
            return
        self._loading = True
        show_leased = self.app.show_leased or self.NEEDS_LEASES
        # When this attempt began: an outage is dated from it, not from when its
        # error came back (a refused or hung connection can take the whole timeout).
        started_at = self.app.clock.local()
        self.run_worker(
            lambda: self._load(show_leased, started_at),
            thread=True, exclusive=True, group="load", exit_on_error=False, name=f"load {self.SCREEN_NAME}",
        )

    def _load(self, show_leased: bool, started_at: int) -> None:
        store = self.app.store
        try:
            clock = self.app.clock
            clock.measure(store)
            local = clock.local()
            now = local + (clock.offset_ms or 0)  # the refresh's one store-clock now
            payload = self.fetch(store)
            leased = None
            if show_leased:
                leased = read_leases(
                    store, self.leased_topic, now, local, self.app.expiring_grace_ms, self.topic_stats(payload)
                )
            # One small read: the pauses shown by this screen and the leased panel.
            paused = store.paused_topics() if show_leased or self.SHOWS_PAUSES else None
            # After the reads: unchanged now, they came from the store shown so far.
            reset = self.app.identity_watch.check(store)
        except TaskStoreError as exc:
            self.post_message(StoreFailed(exc, "refresh", started_at))
            return
        if reset is not None:
            self.app.post_message(StoreReset(reset))
        self.post_message(DataLoaded(payload, leased, paused))

    def _arm(self) -> None:
        if self._timer is None and self.is_mounted:
            self._timer = self.set_timer(self.app.refresh_interval, self.tick, name="refresh")

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "action" and event.state == WorkerState.ERROR:
            self.app.report_bug(event.worker.error)  # not a store refusal: a bug, said in one line
            return
        if event.worker.group != "load" or event.state not in (
            WorkerState.SUCCESS, WorkerState.ERROR, WorkerState.CANCELLED,
        ):
            return
        self._loading = False
        if event.state == WorkerState.ERROR:
            self.app.report_bug(event.worker.error)
        if self._reload_after:
            self._reload_after = False
            self.tick()
        else:
            self._arm()

    def on_data_loaded(self, message: DataLoaded) -> None:
        self.app.report_recovered()
        status = self.query_one(StatusBar)
        status.skew_ms = self.app.clock.offset_ms
        status.zone_label = self.app.zone_label()  # the offset of now: summer time may have begun
        self.leases = message.leased
        panel = self.query_one(LeasedPanel)
        if message.paused is not None:
            self.pauses = pauses.by_topic(message.paused)
            panel.pauses = self.pauses
        self.show(message.payload)
        if message.leased is not None:
            panel.show_snapshot(message.leased)
        self.refresh_bindings()

    def on_store_failed(self, message: StoreFailed) -> None:
        self.app.report_outage(message.error, message.started_at)

    # -- keys -------------------------------------------------------------------
    def action_back(self) -> None:
        if len(self.app.screen_stack) > 2:
            self.app.pop_screen()

    def action_refresh_now(self) -> None:
        self.tick()

    def audit_task_id(self) -> str | None:
        """The task whose records ``A`` shows (``None``: every task's)."""
        return None

    def action_audit(self) -> None:
        self.app.open_audit(self.audit_task_id())

    def on_resize(self, event: events.Resize) -> None:
        self.query_one(LeasedPanel).fit()

    def action_resize_leased(self, step: int) -> None:
        """``+`` / ``-``: a larger or smaller share of the screen for the leased
        panel, on every screen, remembered for the next run."""
        self.app.set_leased_share(self.app.leased_share + step * SHARE_STEP)
        panel = self.query_one(LeasedPanel)
        panel.share = self.app.leased_share
        panel.fit()

    def action_toggle_leased(self) -> None:
        self.app.show_leased = not self.app.show_leased
        panel = self.query_one(LeasedPanel)
        panel.display = self.app.show_leased
        if self.app.show_leased:
            self.tick()
        elif panel.table.has_focus:
            self.focus_next()

    def _focused_table(self) -> DataTable | None:
        focused = self.focused
        return focused if isinstance(focused, DataTable) else None

    def action_first_row(self) -> None:
        """Home: the focused list's first row (anything else focused: its top)."""
        if (table := self._focused_table()) is not None:
            table.action_scroll_top()
        elif self.focused is not None:
            self.focused.scroll_home()

    def action_last_row(self) -> None:
        """End: the focused list's last row (anything else focused: its bottom)."""
        if (table := self._focused_table()) is not None:
            table.action_scroll_bottom()
        elif self.focused is not None:
            self.focused.scroll_end()

    def action_cursor_down(self) -> None:
        if (table := self._focused_table()) is not None:
            table.action_cursor_down()

    def action_cursor_up(self) -> None:
        if (table := self._focused_table()) is not None:
            table.action_cursor_up()

    # -- the selected task ----------------------------------------------------------
    def current_task(self) -> Task | None:
        """The task this screen has selected, when the leased panel is not focused."""
        return None

    def selected_task(self) -> Task | None:
        panel = self.query_one(LeasedPanel)
        if panel.display and panel.table.has_focus:
            return panel.selected_task()
        return self.current_task()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.refresh_bindings()
        self.selection_changed()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """enter on a leased-panel row opens that task, on every screen (the
        screens handle their own tables' rows)."""
        if event.data_table.id == "leased-table" and event.row_key.value is not None:
            event.stop()
            self.app.open_task(event.row_key.value)

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        self.refresh_bindings()
        self.selection_changed()

    def selection_changed(self) -> None:
        """Hook: the selected task may have changed."""

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("filter_rows", "sort_rows"):
            return super().check_action(action, parameters)  # S and / (TableViewScreen)
        if action in _TASK_ACTIONS:
            if self.app.read_only:
                return False  # hidden: nothing can be started on a read-only console
            task = self.selected_task()
            if task is None or refusal(_TASK_ACTIONS[action], task) is not None:
                return None  # shown dimmed; the reason is on screen
        if action == "copy_task_id" and self.selected_task() is None:
            return None
        if action in ("pause_topic", "resume_topic"):
            if self.app.read_only:
                return False
            topic = self.pause_target()
            if topic is None or (action == "resume_topic" and topic not in self.pauses):
                return None  # dimmed: no topic here, or it is not paused
            return True
        return not (action == "back" and len(self.app.screen_stack) <= 2)

    def action_copy_task_id(self) -> None:
        task = self.selected_task()
        if task is not None:
            self.app.copy_to_clipboard(task.task_id)
            self.notify(f"Copied task id {plain(task.task_id, 80)}", markup=False)

    # -- pausing a topic --------------------------------------------------------
    def pause_target(self) -> str | None:
        """The topic ``p`` pauses and ``P`` resumes here (``None``: none)."""
        return None

    def action_pause_topic(self) -> None:
        """``p``: ask how long and why, confirm, pause the topic."""
        topic = self.pause_target()
        if topic is None or self.app.read_only:
            return
        from sokka_tui.screens.pause import PauseAnswer, PauseModal

        def confirm(answer: PauseAnswer | None) -> None:
            if answer is None:
                return
            from sokka_tui.screens.confirm import ConfirmModal

            question = Text("Pause topic ")
            question.append_text(safe_id(topic, 60, "bold"))
            question.append(" until resumed" if answer.for_ms is None else f" for {format_duration(answer.for_ms)}")
            if answer.reason:
                question.append(" (")
                question.append_text(safe_text(answer.reason, max_length=120))
                question.append(")")
            question.append("?\nNo worker reserves its tasks meanwhile, on any machine; running tasks keep "
                            "their leases.")
            current = self.pauses.get(topic)
            if current is not None:
                question.append("\nIt is ")
                question.append_text(safe_text(pauses.summary(current, self.app.clock.now()), max_length=160))
                question.append(": this replaces that pause.")

            def send(yes: bool | None) -> None:
                if yes:
                    self._send_topic_action(topic, "pause", answer)

            self.app.push_screen(ConfirmModal("Pause this topic?", question, "Pause"), send)

        self.app.push_screen(PauseModal(topic), confirm)

    def action_resume_topic(self) -> None:
        """``P``: confirm, then resume the paused topic."""
        topic = self.pause_target()
        current = self.pauses.get(topic) if topic is not None else None
        if topic is None or current is None or self.app.read_only:
            return
        from sokka_tui.screens.confirm import ConfirmModal

        question = Text("Resume topic ")
        question.append_text(safe_id(topic, 60, "bold"))
        question.append("? It is ")
        question.append_text(safe_text(pauses.summary(current, self.app.clock.now()), max_length=160))
        question.append(".\nWorkers reserve its tasks again at once.")

        def send(yes: bool | None) -> None:
            if yes:
                self._send_topic_action(topic, "resume", None)

        self.app.push_screen(ConfirmModal("Resume this topic?", question, "Resume"), send)

    def _send_topic_action(self, topic: str, action: str, answer: object) -> None:
        from sokka_tui.screens.pause import PauseAnswer

        def run() -> None:
            store = self.app.store
            try:
                if isinstance(answer, PauseAnswer):
                    pause: TopicPause | None = store.pause_topic(topic, for_ms=answer.for_ms, reason=answer.reason)
                else:
                    pause = store.resume_topic(topic)
            except TaskStoreError as exc:
                self.post_message(TopicActionFinished(topic, action, error=exc))
                return
            self.post_message(TopicActionFinished(topic, action, pause))

        self.run_worker(run, thread=True, group="action", exit_on_error=False, name=f"{action} {topic}")

    def on_topic_action_finished(self, message: TopicActionFinished) -> None:
        topic = plain(message.topic, 60)
        if message.error is not None:
            if isinstance(message.error, StoreUnavailable):
                self.notify(
                    f"The {message.action} of topic {topic}: the store did not answer ({plain(message.error, 160)}),"
                    " so whether it was applied is not known: the topics screen shows it once the store answers."
                    " Nothing is sent again.",
                    title="Outcome unknown", severity="warning", timeout=15, markup=False,
                )
            else:
                self.notify(f"The {message.action} of topic {topic} was refused: {plain(message.error, 200)}",
                            title=message.error.title, severity="error", markup=False)
        elif message.action == "pause" and message.pause is not None:
            self.pauses[message.topic] = message.pause
            self.notify(f"Paused topic {topic} {pauses.time_left(message.pause, message.pause.paused_at)}: "
                        "no worker reserves its tasks.", title="Done", markup=False)
        elif message.pause is not None:
            self.pauses.pop(message.topic, None)
            self.notify(f"Resumed topic {topic}: its tasks may be reserved again.", title="Done", markup=False)
        else:
            self.pauses.pop(message.topic, None)
            self.notify(f"Topic {topic} was no longer paused (its pause had ended or was lifted).",
                        title="Nothing to resume", severity="warning", markup=False)
        self.refresh_bindings()
        self.tick()

    # -- actions ----------------------------------------------------------------
    def action_snooze_task(self) -> None:
        self.start_action(Action.SNOOZE)

    def action_fail_task(self) -> None:
        self.start_action(Action.FAIL)

    def action_terminate_task(self) -> None:
        self.start_action(Action.TERMINATE)

    def action_revoke_lease(self) -> None:
        self.start_action(Action.REVOKE)

    def action_rerun_task(self) -> None:
        self.start_action(Action.RERUN)

    def start_action(self, action: Action) -> None:
        """Ask what is needed, confirm naming the task and its status, then send."""
        task = self.selected_task()
        if task is None or self.app.read_only:
            return
        reason = refusal(action, task)
        if reason is not None:
            self.notify(reason, title="Not allowed", severity="warning", markup=False)
            return
        # The modals are imported when first needed: not on the way to the first screen.
        from sokka_tui.screens.prompt import FailModal, SnoozeModal, task_line

        def snooze_for(ms: int | None) -> None:
            if ms is not None:
                self._confirm(Request(action, task, snooze_ms=ms))

        def fail_with(error: str | None) -> None:
            if error is not None:
                self._confirm(Request(action, task, error=error))

        if action == Action.SNOOZE:
            self.app.push_screen(SnoozeModal(task_line(task)), snooze_for)
        elif action == Action.FAIL:
            self.app.push_screen(FailModal(task_line(task), f"failed by operator {self.app.operator}"), fail_with)
        else:
            self._confirm(Request(action, task))

    def _confirm(self, request: Request) -> None:
        from sokka_tui.screens.confirm import ConfirmModal
        from sokka_tui.screens.prompt import task_line

        question = Text(f"{VERBS[request.action]} ")
        question.append_text(task_line(request.seen))
        if request.seen.pid:
            question.append(", held by ")
            question.append_text(safe_id(request.seen.pid, 40, "bold"))
        if request.snooze_ms is not None:
            question.append(f" for {format_duration(request.snooze_ms)}")
        if request.error is not None:
            question.append(" with error ")
            question.append_text(safe_text(repr(request.error), max_length=120))
        if request.action == Action.RERUN:
            question.append(" as a new task")
        question.append("?\nIt is sent only if the task is still at version ")
        question.append(str(request.seen.record_ver), style="bold")
        question.append(".")
        if request.action == Action.RERUN:
            question.append(
                f"\nIt stays {request.seen.status}; a new task with its topic, sub-topic, data and group "
                "starts, its description linking this one."
            )
        def send_if_confirmed(yes: bool | None) -> None:
            if yes:
                self._send(request)

        self.app.push_screen(
            ConfirmModal(f"{VERBS[request.action]} this task?", question, BUTTONS[request.action]),
            send_if_confirmed,
        )

    def _send(self, request: Request) -> None:
        self.run_worker(
            lambda: self._perform(request),
            thread=True, group="action", exit_on_error=False, name=f"{request.action} {request.seen.task_id}",
        )

    def _perform(self, request: Request) -> None:
        store, clock = self.app.store, self.app.clock
        sent_at = clock.now()  # the store's clock: the settlement compares it with the audit trail's times
        try:
            result = perform(store, request)
        except _CHANGED as exc:
            try:
                now = store.task(request.seen.task_id)
            except TaskStoreError:
                now = None
            self.post_message(ActionFinished(request, error=exc, now=now))
            return
        except TaskStoreError as exc:
            self.post_message(ActionFinished(request, error=exc, attempt=Attempt(sent_at, clock.now())))
            return
        self.post_message(ActionFinished(request, result=result))

    def on_action_finished(self, message: ActionFinished) -> None:
        request = message.request
        if message.result is not None and request.action == Action.RERUN:
            self.notify(
                f"Re-ran {plain(request.seen.task_id, 60)} as new task {plain(message.result.task_id, 60)}"
                f" ({message.result.status}); the original stays {request.seen.status}.",
                title="Done",
                markup=False,
            )
        elif message.result is not None:
            self.notify(
                f"{VERBS[request.action]} {plain(request.seen.task_id, 60)}: now {message.result.status}"
                f" (v{message.result.record_ver}).",
                title="Done",
                markup=False,
            )
        elif isinstance(message.error, _CHANGED):
            from sokka_tui.screens.changed import ChangedModal

            self.app.push_screen(ChangedModal(request, message.now, str(message.error), self.app.zone))
        elif isinstance(message.error, StoreUnavailable):
            self.notify(
                f"{VERBS[request.action]} {plain(request.seen.task_id, 60)}: the store did not answer "
                f"({plain(message.error, 160)}), so whether it was applied is not known yet. It is "
                "checked as soon as the store answers; nothing is sent again.",
                title="Outcome unknown",
                severity="warning",
                timeout=15,
                markup=False,
            )
            self.app.settle_later(request, message.attempt)
        else:
            refused = sentence(plain(message.error, 200))
            self.notify(
                f"{VERBS[request.action]} {plain(request.seen.task_id, 60)} was refused: {refused}",
                title=message.error.title if message.error else "Error",
                severity="error",
                markup=False,
            )
        self.tick()
