"""The console application and the one factory that builds it.

The CLI, the tests and the screenshot script all call ``build_app``, which
takes the store, a clock and the refresh interval, so tests can freeze time.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from textual.app import App
from textual.binding import Binding
from textual.screen import Screen
from textual.worker import get_current_worker

from sokka_tui.actions import Action, Request
from sokka_tui.clock import LocalClock, StoreClock, system_clock
from sokka_tui.commands import ScreenCommands, TopicCommands
from sokka_tui.identity_watch import IdentityWatch
from sokka_tui.latency import LatencyHistory
from sokka_tui.leases import DEFAULT_GRACE_MS
from sokka_tui.messages import ActionSettled, BulkSettled, StoreReset
from sokka_tui.rates import HOUR
from sokka_tui.render import counted, plain
from sokka_tui.screens.base import StoreScreen
from sokka_tui.screens.help import HelpModal
from sokka_tui.screens.topics import TopicsScreen
from sokka_tui.settle import NOT_WRITTEN, UNTIMED, Attempt, Settlement, settle, settle_bulk
from sokka_tui.state import remember, remembered_flag, remembered_share
from sokka_tui.stop_signals import exit_on_stop_signals
from sokka_tui.timezones import UTC, Zone
from sokka_tui.widgets.leased_panel import DEFAULT_SHARE, SHARE_RANGE
from sokka_tui.widgets.rates_chart import CHART_MIN_LINES
from stores import Store, TaskStoreError
from stores.audit import Operator
from stores.bulk import BulkItem, BulkOutcome, BulkResult
from stores.errors import redact
from stores.identity import ASKED_READ_ONLY

if TYPE_CHECKING:
    from sokka_tui.query import TaskQuery

T = TypeVar("T")

DEFAULT_REFRESH_S = 1.0
#: "starting for too long" means longer than this, unless --stuck-after says otherwise.
DEFAULT_STUCK_AFTER_MS = 5 * 60_000
MIN_REFRESH_S = 0.5
#: Seconds between attempts to learn an action's outcome while the store is down.
SETTLE_RETRY_S = 2.0


class SokkaApp(App[None]):
    """The ops console over one store."""

    TITLE = "sokka-tui"
    CSS_PATH = "app.tcss"
    COMMANDS = App.COMMANDS | {ScreenCommands, TopicCommands}
    BINDINGS = [
        Binding("q", "quit", "Quit", id="app.quit"),
        Binding("question_mark", "help", "Help", id="app.help"),
        Binding("colon", "command_palette", "Command palette", show=False, id="app.commands"),
        # Textual adds its ctrl+p only when no binding runs the palette; ``:`` does, so it is said here.
        Binding("ctrl+p", "command_palette", "Command palette", show=False, priority=True, id="app.commands_ctrl_p"),
    ]

    def __init__(
        self,
        store: Store,
        *,
        store_label: str,
        clock: LocalClock = system_clock,
        refresh_interval: float = DEFAULT_REFRESH_S,
        read_only: bool | None = None,
        operator: str | None = None,
        stuck_after_ms: int = DEFAULT_STUCK_AFTER_MS,
        expiring_grace_ms: int = DEFAULT_GRACE_MS,
        zone: Zone = UTC,
    ) -> None:
        super().__init__()
        #: Where absolute times are shown (``--tz``); relative ones do not depend on it.
        self.zone = zone
        self.stuck_after_ms = stuck_after_ms
        #: A lease that ended less than this ago is "expiring", not stuck (sokka_tui.leases).
        self.expiring_grace_ms = expiring_grace_ms
        #: The leased panel's most share of the screen (``+`` / ``-``), remembered between runs.
        self.leased_share = remembered_share(DEFAULT_SHARE, *SHARE_RANGE)
        self.store = store
        self.store_label = store_label
        self.clock = StoreClock(clock)
        self.refresh_interval = max(MIN_REFRESH_S, refresh_interval)
        self.read_only = store.read_only if read_only is None else read_only
        # Who acts: the operator the store records writes for, else this OS user at this host.
        self.operator = operator or (store.operator or Operator.current("sokka-tui")).label
        self.show_leased = True
        #: The tasks screen's rates chart: shown or hidden by ``c`` (remembered
        #: between runs); ``None`` until chosen: shown on a tall enough terminal.
        self.chart_choice = remembered_flag("rates_chart")
        #: The chart's resolution (``C``): a minute for an hour, or ten minutes for a day.
        self.rates_resolution = HOUR
        #: Each topic's queue latency as this console's refreshes saw it (the store keeps no history of it).
        self.latency = LatencyHistory()
        self.outage: str | None = None
        self._settle_wait = threading.Event()  # set when the app closes: settle workers stop
        self._outage_since: str | None = None
        #: The store's identity as first seen, read again after every refresh.
        self.identity_watch = IdentityWatch(zone)
        #: Set once the store was found reset (wiped): shown on every screen from then on.
        self.reset_notice: str | None = None

    def on_mount(self) -> None:
        if not self.is_headless:  # SIGTERM, SIGHUP, SIGINT: exit as ``q`` does (stop_signals.py)
            exit_on_stop_signals(self.exit)
        self.push_screen(TopicsScreen())
        for warning in self.store.warnings:  # what opening the store found worth saying
            self.notify(plain(warning, 300), title="Store warning", severity="warning", timeout=20, markup=False)

    def set_leased_share(self, share: float) -> None:
        """The leased panel's share, within ``SHARE_RANGE``; remembered for the next run."""
        low, high = SHARE_RANGE
        self.leased_share = round(min(high, max(low, share)), 2)
        remember("leased_share", self.leased_share)

    @property
    def show_chart(self) -> bool:
        """Whether the tasks screen shows its rates chart now."""
        if self.chart_choice is not None:
            return self.chart_choice
        return self.size.height >= CHART_MIN_LINES

    def set_show_chart(self, shown: bool) -> None:
        """``c``: the chart shown or hidden, on every tasks screen, remembered for the next run."""
        self.chart_choice = shown
        remember("rates_chart", shown)

    def zone_label(self) -> str:
        """The header's zone: ``UTC``, ``Europe/Berlin (+01:00)`` (the offset of now)."""
        return self.zone.label(self.clock.local())

    @property
    def read_only_label(self) -> str:
        """The header's READ-ONLY mark, with the reason when the credentials
        (not the operator) made it so; empty when the console may write."""
        if not self.read_only:
            return ""
        reason = self.store.read_only_reason
        if reason is None or reason == ASKED_READ_ONLY:
            return "READ-ONLY"
        return f"READ-ONLY: {reason}"

    # -- navigation: the one place that knows the screens ----------------------------
    # Screens ask the app to open another screen, so no screen imports another
    # (no import cycles). Each is imported when first opened: not on the way to
    # the first screen.
    def open_tasks(self, query: TaskQuery) -> None:
        """The task list of ``query`` (a topic's tasks, or one group's)."""
        from sokka_tui.screens.tasks import TasksScreen

        self.push_screen(TasksScreen(query))

    def open_task(self, task_id: str) -> None:
        """Everything about one task."""
        from sokka_tui.screens.task_detail import TaskDetailScreen

        self.push_screen(TaskDetailScreen(task_id))

    def open_audit(self, task_id: str | None = None) -> None:
        """The audit trail of one task (``None``: of every task)."""
        from sokka_tui.screens.audit import AuditScreen

        self.push_screen(AuditScreen(task_id))

    def open_owners(self, topic: str | None) -> None:
        """The lease owners of ``topic`` (``None``: of every topic)."""
        from sokka_tui.screens.owners import OwnersScreen

        self.push_screen(OwnersScreen(topic))

    def open_failures(self, topic: str) -> None:
        """The failed tasks of ``topic`` grouped by error."""
        from sokka_tui.screens.failures import FailuresScreen

        self.push_screen(FailuresScreen(topic))

    # -- store health, shown on every screen ---------------------------------------
    def report_outage(self, error: TaskStoreError, started_at: int | None = None) -> None:
        """The store failed; ``started_at`` is when the failed attempt began (local
        clock, epoch ms): the outage is dated from it, not from when it was noticed."""
        first = self.outage is None
        self.outage = str(error)
        if first:
            since = self.clock.local() if started_at is None else started_at
            self._outage_since = self.zone.format(since, "%H:%M:%S", millis=False)
            self.notify(plain(error, 300), title=error.title, severity="error", markup=False)
        self.show_outage_on(self.screen)

    def on_store_reset(self, message: StoreReset) -> None:
        self.reset_notice = message.message
        self.notify(plain(message.message, 300), title="Store reset", severity="error", timeout=60, markup=False)
        for screen in self.screen_stack:
            self.show_outage_on(screen)

    def report_recovered(self) -> None:
        if self.outage is not None:
            self.outage = None
            self.notify("The store answers again.", title="Reconnected", markup=False)
            for screen in self.screen_stack:
                self.show_outage_on(screen)

    def show_outage_on(self, screen: Screen[Any]) -> None:
        from sokka_tui.widgets.status_bar import OutageBanner

        banners = screen.query(OutageBanner)
        for banner in banners:
            if self.outage is None and self.reset_notice is not None:
                banner.show_reset(self.reset_notice)
            elif self.outage is None:
                banner.clear_outage()
            else:
                banner.show_outage(self.outage, self._outage_since or "")

    # -- actions whose answer was lost -------------------------------------------
    def settle_later(self, request: Request, attempt: Attempt = UNTIMED) -> None:
        """Find out, once the store answers, whether ``request`` was applied; say so."""

        def untouched(settlement: Settlement) -> bool:
            return settlement.applied is False

        def say(settlement: Settlement) -> None:
            self.post_message(ActionSettled(settlement))

        self.run_worker(
            lambda: self._settle(lambda: settle(self.store, request, attempt), untouched, say),
            thread=True, group="settle", exit_on_error=False, name=f"settle {request.action} {request.seen.task_id}",
        )

    def settle_bulk_later(self, action: Action, items: list[BulkItem], batch_id: str) -> None:
        """Find out, once the store answers, what became of ``items`` (the chunk
        in flight when bulk run ``batch_id`` failed); post ``BulkSettled``."""

        def untouched(results: list[BulkResult]) -> bool:
            return any(result.reason == NOT_WRITTEN for result in results)

        def say(results: list[BulkResult]) -> None:
            self.post_message(BulkSettled(batch_id, results))

        self.run_worker(
            lambda: self._settle(lambda: settle_bulk(self.store, action, items, batch_id, self.zone), untouched, say),
            thread=True, group="settle", exit_on_error=False, name=f"settle bulk {batch_id}",
        )

    def _settle(self, check: Callable[[], T], untouched: Callable[[T], bool], done: Callable[[T], None]) -> None:
        """``done(check())`` once the store answers (a worker thread), retrying at
        the refresh interval (at most ``SETTLE_RETRY_S``) while it does not.

        A write is final once seen. "Untouched" is final only from a second look,
        one store timeout after the store first answered: a statement the server
        still runs (waiting on a lock), or one it held while it was stopped and
        runs on waking, ends within its statement and lock timeouts of the moment
        the server runs again, which is at the latest when it answered."""
        worker = get_current_worker()
        pause = 0.0
        answered = False  # the store answered since it last failed: the next look is the second
        while not worker.is_cancelled:
            if self._settle_wait.wait(pause):
                return  # the app is closing
            try:
                outcome = check()
            except TaskStoreError:
                answered, pause = False, min(self.refresh_interval, SETTLE_RETRY_S)
                continue
            if untouched(outcome) and not answered:
                answered, pause = True, self.store.options.timeout
                continue
            done(outcome)
            return

    def on_action_settled(self, message: ActionSettled) -> None:
        settlement = message.settlement
        if settlement.applied is None:
            title = "Check it"
        else:
            title = "Action was applied" if settlement.applied else "Action was not applied"
        self.notify(settlement.message(self.zone), title=title, severity="information" if settlement.applied is not None
                    else "warning", timeout=30, markup=False)
        if isinstance(self.screen, StoreScreen):
            self.screen.tick()

    def on_bulk_settled(self, message: BulkSettled) -> None:
        from sokka_tui.screens.bulk_run import BulkRunScreen

        counts = Counter(result.outcome for result in message.results)
        not_written = sum(1 for result in message.results if result.reason == NOT_WRITTEN)
        parts = []
        for outcome in BulkOutcome:
            if counts[outcome]:
                part = f"{outcome} {counts[outcome]:,}"
                if outcome is BulkOutcome.SKIPPED and not_written:
                    some = f"{not_written:,} not written"
                    part += " (nothing written)" if not_written == counts[outcome] else f" ({some})"
                parts.append(part)
        unknown = counted(len(message.results), "task")
        self.notify(
            f"Bulk run {plain(message.batch_id, 40)}: checked the {unknown} whose outcome was unknown: "
            f"{', '.join(parts)}.",
            title="Bulk run settled", timeout=30, markup=False,
        )
        for screen in self.screen_stack:
            if isinstance(screen, BulkRunScreen) and screen.batch_id == message.batch_id:
                screen.settled(message.results)

    def on_unmount(self) -> None:
        self._settle_wait.set()

    def report_bug(self, error: BaseException | None) -> None:
        """An unexpected error in a worker: say so in one line, keep running."""
        self.notify(
            f"Unexpected error: {plain(redact(repr(error)), 300)}",
            title="Internal error", severity="error", markup=False,
        )

    # -- keys --------------------------------------------------------------------
    def action_help(self) -> None:
        if isinstance(self.screen, HelpModal):
            return
        keys = []
        seen = set()
        for _key, active in self.active_bindings.items():
            binding = active.binding
            if active.node not in (self, self.screen):
                continue  # a widget's own keys (scrolling, cursor) are listed as "Move" below
            if not binding.description or (binding.action, binding.description) in seen:
                continue
            seen.add((binding.action, binding.description))
            keys.append((binding.key_display or self.get_key_display(binding), binding.description, active.enabled))
        keys += [
            ("j / k, ↑ / ↓", "Move", True),
            ("tab", "Next panel (e.g. the leased tasks)", True),
            ("ctrl+p", "Command palette", True),
        ]
        title = getattr(self.screen, "SCREEN_NAME", "") or type(self.screen).__name__
        self.push_screen(HelpModal(title, keys))


def build_app(
    store: Store,
    *,
    store_label: str,
    clock: LocalClock = system_clock,
    refresh_interval: float = DEFAULT_REFRESH_S,
    read_only: bool | None = None,
    operator: str | None = None,
    stuck_after_ms: int = DEFAULT_STUCK_AFTER_MS,
    expiring_grace_ms: int = DEFAULT_GRACE_MS,
    zone: Zone = UTC,
) -> SokkaApp:
    """The console over ``store`` (already open). ``clock`` is the local clock in epoch ms;
    ``zone`` is where absolute times are shown (UTC by default)."""
    return SokkaApp(
        store,
        store_label=store_label,
        clock=clock,
        refresh_interval=refresh_interval,
        read_only=read_only,
        operator=operator,
        stuck_after_ms=stuck_after_ms,
        expiring_grace_ms=expiring_grace_ms,
        zone=zone,
    )
