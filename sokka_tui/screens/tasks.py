"""The tasks of a topic (or of one group): newest first, keyset pages loaded as
you scroll, filterable. Never the whole topic in memory: the table shows a
``Window`` (sokka_tui.window) of at most ``WINDOW_ROWS`` rows, which decides
which pages to load, drop and load again; this screen fetches them and keeps
the table in step."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from itertools import islice
from typing import TYPE_CHECKING, TypeVar

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.timer import Timer
from textual.widgets import DataTable, Static

from sokka_tui import pauses
from sokka_tui.actions import Action
from sokka_tui.marks import Marks
from sokka_tui.messages import StoreFailed
from sokka_tui.query import (
    STUCK_EXPIRED,
    STUCK_STARTING,
    STUCK_WAKE_DUE,
    TYPED_HINT,
    TaskQuery,
    typed_query,
    typed_text,
)
from sokka_tui.rates import DAY, HOUR, chart_of
from sokka_tui.render import counted, relative, safe_id, safe_text
from sokka_tui.screens.base import StoreScreen
from sokka_tui.screens.triage import Marking, revoke_expired_leases
from sokka_tui.search import SEARCH_PAGE, SEARCH_ROWS, SearchProgress, range_size
from sokka_tui.selection import list_filters, matching
from sokka_tui.sorting import SortOrder, task_value
from sokka_tui.styles import STATUS_STYLES
from sokka_tui.widgets.action_hints import action_hints
from sokka_tui.widgets.leased_panel import lease_label
from sokka_tui.widgets.rates_chart import CHART_MIN_LINES, RatesChart
from sokka_tui.widgets.tables import append_rows, rebuild_rows, rows_in_view, selected_key, sync_rows
from sokka_tui.widgets.task_table import TaskTable, error_cell
from sokka_tui.widgets.view_table import ViewTable
from sokka_tui.window import LIVE_ROWS, PAGE_SIZE, WINDOW_ROWS, WINDOW_SLACK, Cursor, Window
from stores import Page, Store, Task, TaskStoreError, TopicStats
from stores.validation import DEFAULT_SCAN_LIMIT

if TYPE_CHECKING:
    from stores import TopicRates

T = TypeVar("T")

#: Load the next page when the cursor comes this close to the last row (or the
#: previous one, when pages above were dropped, this close to the first).
PREFETCH_ROWS = 15
#: Seconds the filter line waits after a key before asking the store.
TYPED_FILTER_DELAY = 0.3
#: Tasks one call of a payload search reads (the store's default; tests shrink it).
SEARCH_SCAN_LIMIT = DEFAULT_SCAN_LIMIT
#: The stuck "starting too long" list: oldest first (of the rows loaded: the store lists newest first).
OLDEST_FIRST = SortOrder("Updated")
#: (heading, width): fixed widths, so columns never jump as rows change. Error: a
#: failed task's error key (first line; a traceback's exception) (widgets/task_table.error_cell).
COLUMNS = (
    ("", 1), ("Task", 26), ("Status", 10), ("Error", 20), ("Sub-topic", 10), ("Group", 12), ("Updated", 11),
    ("Ver", 4), ("Owner", 14), ("Lease / wake", 16), ("Description", 14),
)
#: The group view spans topics: Topic (by the sub-topic) in place of Group, which the title names.
GROUP_COLUMNS = (
    ("", 1), ("Task", 28), ("Status", 10), ("Topic", 18), ("Sub-topic", 12), ("Updated", 11), ("Ver", 4),
    ("Owner", 18), ("Lease / wake", 16), ("Description", 22),
)
#: An owner's leases in every topic: Topic in place of Owner, which the title names.
OWNER_COLUMNS = (
    ("", 1), ("Task", 28), ("Status", 10), ("Topic", 18), ("Sub-topic", 12), ("Group", 14), ("Updated", 11),
    ("Ver", 4), ("Lease / wake", 16), ("Description", 26),
)


def columns_for(query: TaskQuery) -> tuple[tuple[str, int], ...]:
    """The task table's columns for ``query``: a Topic column when it spans topics."""
    if query.group is not None:
        return GROUP_COLUMNS
    if query.owner is not None and query.topic is None:
        return OWNER_COLUMNS
    return COLUMNS


@dataclass
class Listing:
    tasks: list[Task]
    cursor: Cursor | None


@dataclass(frozen=True)
class TasksRead:
    """What one refresh of a task list read: the list (``None``: not refreshed
    this time) and, when the rates chart is shown, the topic's rates at
    ``resolution`` and every topic's stats (their oldest waiting task: the
    queue latency the chart samples)."""

    listing: Listing | SearchStarted | None
    rates: TopicRates | None = None
    stats: list[TopicStats] | None = None
    resolution: str = HOUR


@dataclass(frozen=True)
class SearchStarted:
    """A payload search's first load: the list (of ``generation``) starts a search
    of a range of ``total`` tasks (``sokka_tui.search``)."""

    generation: int
    total: int


class TasksScreen(StoreScreen):
    """A task table for a ``TaskQuery``."""

    SCREEN_NAME = "Tasks"
    BINDINGS = [
        Binding("enter", "open_task", "Open", id="tasks.open"),
        Binding("slash", "filter_rows", "Filter", id="tasks.filter"),
        Binding("F", "filter", "Filter form", show=False, id="tasks.filter_form"),
        Binding("g", "show_group", "Group", id="tasks.group"),
        Binding("space", "mark_task", "Mark", id="tasks.mark"),
        Binding("asterisk", "mark_all", "Mark all", id="tasks.mark_all"),
        Binding("1", "stuck('starting-too-long')", "Waiting too long", show=False, id="tasks.stuck_starting"),
        Binding("2", "stuck('expired-lease')", "Expired leases", show=False, id="tasks.stuck_expired"),
        Binding("3", "stuck('wake-due')", "Wake overdue", show=False, id="tasks.stuck_wake"),
        Binding("X", "revoke_expired", "Revoke expired", id="tasks.revoke_expired"),
        Binding("o", "owners", "Owners", show=False, id="tasks.owners"),
        Binding("E", "failures", "Failures", show=False, id="tasks.failures"),
        Binding("p", "pause_topic", "Pause topic", show=False, id="topic.pause"),
        Binding("P", "resume_topic", "Resume topic", show=False, id="topic.resume"),
        Binding("c", "toggle_chart", "Chart", id="tasks.chart"),
        Binding("C", "chart_span", "Chart: hour / day", show=False, id="tasks.chart_span"),
    ]
    SHOWS_PAUSES = True

    def __init__(self, query: TaskQuery) -> None:
        super().__init__()
        self.task_query = query
        self.leased_topic = query.topic
        self.columns = columns_for(query)  # a filter keeps the query's kind: the columns stay
        # The module's names, read here: a test can shrink the window.
        self.window = Window(WINDOW_ROWS, WINDOW_SLACK, page_size=PAGE_SIZE, live_rows=LIVE_ROWS)
        self.paging = False  # a page is loading
        self.marking = Marking(self, self._redraw_marks)
        self._follow_pending = False  # a look at the view after it scrolled is scheduled
        self._to_end = False  # End was pressed: page on to the last task
        #: Rows a refresh brought above the view, out of sight: the title says so
        #: until the operator goes up to them (the view never moves by itself).
        self.newer_above = 0
        self._typed_timer: Timer | None = None  # the filter line's text, applied when typing pauses
        #: The payload search of the list, when its query has data conditions.
        self.search: SearchProgress | None = None

    # The window's state, as the rest of the console (and the tests) read it.
    @property
    def tasks(self) -> dict[str, Task]:
        """The rows of the table, in order."""
        return self.window.tasks

    @property
    def page_cursor(self) -> Cursor | None:
        """The cursor of the page after the last row; ``None``: the end."""
        return self.window.next_cursor

    @property
    def deep(self) -> bool:
        return self.window.deep

    @property
    def rows_above(self) -> int:
        return self.window.rows_above

    @property
    def loaded_rows(self) -> int:
        return self.window.loaded_rows

    @property
    def marks(self) -> Marks:
        """The marked tasks (bulk actions apply to them)."""
        return self.marking.marks

    def compose_body(self) -> ComposeResult:
        yield Static(id="title", classes="screen-title")
        yield Static(id="filter-line", classes="filter-line")
        chart = RatesChart(self.app.zone, id="rates-chart")
        chart.display = self._chart_shown()
        yield chart
        table = TaskTable(id="tasks", cursor_type="row", zebra_stripes=True)
        for heading, width in self.columns:
            table.add_column(heading, width=width)
        table.sort_value = self._sort_value
        table.default_order = OLDEST_FIRST if self.task_query.stuck == STUCK_STARTING else None
        yield table
        yield Static(id="task-actions", classes="action-line")

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#tasks", DataTable).focus()
        self.watch(self.table, "scroll_y", self._scrolled, init=False)
        self._describe()

    @property
    def table(self) -> TaskTable:
        return self.query_one("#tasks", TaskTable)

    def _sort_value(self, key: str, heading: str) -> object:
        task = self.tasks.get(key)
        if task is None:
            return None
        if heading == "":
            return 0 if key in self.marks else 1  # marked first
        return task_value(task, heading)

    def _complete(self) -> bool:
        """Every task of the list is loaded (a sort of the rows is a sort of the list)."""
        if self._searching():
            return self.search is not None and self.search.done
        if self._pages():
            return self.window.next_cursor is None and not self.window.has_above
        return len(self.tasks) < LIVE_ROWS

    def _describe(self) -> None:
        q = self.task_query
        title = Text()
        if q.group is not None:
            title.append("Group ", style="bold")
            title.append_text(safe_id(q.group, 60, "bold"))
        elif q.owner is not None:
            title.append("Leases of ", style="bold")
            title.append_text(safe_id(q.owner, 60, "bold"))
            title.append(" in ")
            title.append_text(safe_id(q.topic or "every topic", 60, "bold"))
        else:
            title.append("Tasks of ", style="bold")
            title.append_text(safe_id(q.topic, 60, "bold"))
        pause = self.pauses.get(q.topic) if q.topic is not None else None
        if pause is not None:
            title.append("  ")
            title.append_text(pauses.styled(pause, self.app.clock.now(), max_length=80))
        leases = q.owner is not None or q.stuck in (STUCK_EXPIRED, STUCK_WAKE_DUE)
        order = "soonest expiry first" if leases else "newest first"
        self.table.default_label = order
        search = self.search if self._searching() else None
        loaded = self.window.loaded_label() if search is None else search.describe()
        if self.table.effective_order is None:
            title.append(f"  {loaded}, {order}")
        else:
            title.append(f"  {loaded}")
            title.append_text(self.table.describe_view(partial=not self._complete()))
        self.marking.describe(title)
        if self.newer_above:
            title.append(f"  ↑ {counted(self.newer_above, 'newer task')} above", style="bold cyan")
            title.append(" (home)", style="dim")
        if self.deep and search is None:
            title.append(
                f"  live refresh paused: {counted(self.window.deepest_row, 'row')} loaded (R reloads from the top)",
                style="yellow",
            )
        self.query_one("#title", Static).update(title)
        if q.group is not None:
            line = Text("Every task of the group, in every topic.", style="dim")
        elif q.owner is not None:
            line = Text("The running tasks whose lease this owner holds.", style="dim")
        else:
            line = Text("Filter: ", style="dim")
            line.append(q.describe(self.app.zone), style="bold yellow" if q.filtered else "dim")
            line.append("   / to change", style="dim")
        self.query_one("#filter-line", Static).update(line)

    def pause_target(self) -> str | None:
        """The list's topic (a group's list spans topics: none)."""
        return self.task_query.topic

    # -- the rates chart (c, C) --------------------------------------------------------
    def _charts(self) -> bool:
        """A topic's list (not a group's or an owner's): it has a chart."""
        q = self.task_query
        return q.topic is not None and q.group is None and q.owner is None

    def _chart_shown(self) -> bool:
        return self._charts() and self.app.show_chart

    def _place_chart(self, *, load: bool = False) -> None:
        """The chart shown or not, as chosen; ``load``: shown now, its rates are
        read at once (else with the next refresh)."""
        chart = self.query_one(RatesChart)
        shown = self._chart_shown()
        screen_lines = self.size.height or self.app.size.height
        chart.set_compact(screen_lines < CHART_MIN_LINES)
        if chart.display != shown:
            chart.display = shown
            if shown and load:
                self.tick()

    def action_toggle_chart(self) -> None:
        """``c``: the rates chart shown or hidden, on every tasks screen, remembered."""
        self.app.set_show_chart(not self.app.show_chart)
        self._place_chart(load=True)

    def action_chart_span(self) -> None:
        """``C``: the chart per minute over the last hour, or per ten minutes over the last day."""
        self.app.rates_resolution = DAY if self.app.rates_resolution == HOUR else HOUR
        if not self.app.show_chart:
            self.app.set_show_chart(True)
        self._place_chart()
        self.tick()

    def on_resize(self, event: events.Resize) -> None:
        # (Textual calls StoreScreen's on_resize too: it fits the leased panel.)
        self._place_chart()  # until chosen, shown on a tall enough terminal

    def on_screen_resume(self) -> None:
        # (Textual calls StoreScreen's on_screen_resume next: it refreshes.)
        self._place_chart()  # c may have been pressed on another tasks screen

    # -- loading ------------------------------------------------------------------
    def fetch(self, store: Store) -> TasksRead:
        listing = self._fetch_listing(store)
        if not self._chart_shown():
            return TasksRead(listing)
        topic, resolution = self.task_query.topic, self.app.rates_resolution
        assert topic is not None  # (_charts)
        # In the same refresh as the list: the chart and the rows are of one moment.
        stats = store.topics()
        rates = store.rates(topic, resolution=resolution)
        return TasksRead(listing, rates[0] if rates else None, stats, resolution)

    def _fetch_listing(self, store: Store) -> Listing | SearchStarted | None:
        q = self.task_query
        now = self.app.clock.now()
        if not self._pages():
            tasks = list(islice(matching(store, q, now, self.app.stuck_after_ms, self.app.expiring_grace_ms),
                                LIVE_ROWS))
            if q.stuck is None and q.owner is None:
                tasks.sort(key=lambda t: (t.updated_at, t.task_id), reverse=True)
            return Listing(tasks, None)
        if self._searching():
            generation = self.window.generation
            search = self.search
            if search is not None and search.generation == generation:
                return None  # a search is not refreshed live: R starts it again
            assert q.topic is not None  # (a search is of a topic)
            return SearchStarted(generation, range_size(store.topics(), q.topic, q.status))
        if self.deep:
            return None  # holding still deep in the list
        filters = list_filters(q, now, self.app.stuck_after_ms)
        page = store.list_tasks(filters, {"limit": self.window.refresh_limit()})
        return Listing(page.data, dict(page.cursor) if page.cursor else None)

    def show(self, read: TasksRead) -> None:
        if read.rates is not None and read.stats is not None:
            self.app.latency.record(read.rates.now_ms, read.stats)
            chart = self.query_one(RatesChart)
            if chart.display and read.resolution == self.app.rates_resolution:  # (else C was pressed meanwhile)
                chart.show_chart(chart_of(read.rates, read.resolution, self.app.latency))
        payload = read.listing
        if isinstance(payload, SearchStarted):
            if payload.generation == self.window.generation:  # (else the list started again meanwhile)
                self._start_search(payload.total)
            payload = None
        if payload is not None and not self.deep:  # (it may have gone deep while this loaded)
            hidden = self.newer_above  # (a rebuild passes the table by its top: counted again below)
            hidden += self.window.reset(payload.tasks, payload.cursor)
            sync_rows(self.table, self.table.in_view_order([(t.task_id, self._cells(t)) for t in payload.tasks]))
            self.newer_above = min(hidden, round(self.table.scroll_y))  # the ones out of sight
        self._describe()
        self.selection_changed()

    def _cells(self, task: Task) -> list[Text]:
        now = self.app.clock.now()
        lease, lease_style = "—", ""
        if task.lease_expires_at is not None:
            lease, lease_style = relative(task.lease_expires_at, now), ""
            if task.lease_expires_at <= now:
                lease, lease_style = lease_label(task, now, self.app.expiring_grace_ms)
        # Each cell is cut to its column's width (ids in the middle, text at a word),
        # so a cut always shows its "…": the table never clips a value silently.
        cells: dict[str, Callable[[int], Text]] = {
            "": lambda _: Text("●" if task.task_id in self.marks else "", style="bold yellow"),
            "Task": lambda width: safe_id(task.task_id, width),
            "Topic": lambda width: safe_id(task.topic, width),
            "Status": lambda _: Text(str(task.status), style=STATUS_STYLES[task.status]),
            "Error": lambda width: error_cell(task, width),
            "Sub-topic": lambda width: safe_id(task.sub_topic, width),
            "Group": lambda width: safe_id("" if task.task_group_id == task.task_id else task.task_group_id, width),
            "Updated": lambda _: Text(relative(task.updated_at, now)),
            "Ver": lambda _: Text(str(task.record_ver), justify="right"),
            "Owner": lambda width: safe_id(task.pid or "—", width),
            "Lease / wake": lambda _: Text(lease, style=lease_style),
            "Description": lambda width: safe_text(task.task_description or "", max_length=width),
        }
        return [cells[heading](width) for heading, width in self.columns]

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        super().on_data_table_row_highlighted(event)
        if event.data_table.id != "tasks":
            return
        row = self.table.cursor_row  # now, not when the event was sent: the rows may have moved since
        if row >= self.table.row_count - PREFETCH_ROWS:
            self.load_next_page()
        elif row < PREFETCH_ROWS and self.window.has_above:
            self.load_previous_page()

    def on_task_table_wheel_scrolled(self, event: TaskTable.WheelScrolled) -> None:
        """Looked at once the layout has settled (a turn of the wheel is many events)."""
        if not self._follow_pending:
            self._follow_pending = True
            self.call_after_refresh(self._follow_view)

    def _follow_view(self) -> None:
        """The mouse wheel moved the view, not the cursor: the selection follows
        the view, onto its nearest row in sight, so the keys never act on a task
        the operator cannot see; and the rows next to the view are loaded, as
        they are when the cursor comes near the end of the loaded rows (the
        window then drops pages far from the view)."""
        self._follow_pending = False
        table = self.table
        if not table.row_count:
            return
        top = round(table.scroll_y)
        bottom = min(top + rows_in_view(table), table.row_count) - 1
        if table.cursor_row < top:
            table.move_cursor(row=top, scroll=False)
        elif table.cursor_row > bottom:
            table.move_cursor(row=bottom, scroll=False)
        if bottom >= table.row_count - PREFETCH_ROWS:
            self.load_next_page()
        elif top < PREFETCH_ROWS and self.window.has_above:
            self.load_previous_page()

    def _pages(self) -> bool:
        q = self.task_query
        return not (q.group or q.text or q.owner or q.stuck in (STUCK_EXPIRED, STUCK_WAKE_DUE))

    # -- a payload search: store calls streamed in a worker, progress in the title --------
    def _searching(self) -> bool:
        return self.task_query.searches and self._pages()

    def _start_search(self, total: int) -> None:
        """A search of the list from the top of the range (its rows were cleared)."""
        self.window.reset([], None)
        self.table.clear()
        cursor = {"limit": SEARCH_PAGE, "scan_limit": SEARCH_SCAN_LIMIT}
        self.search = SearchProgress(self.window.generation, total, cursor)
        self._search_more()

    def _search_more(self) -> None:
        """Call the store, in a worker thread, while the search has a cursor, it
        found fewer than ``SEARCH_PAGE`` new matches, and esc was not pressed;
        each call's matches and count are shown as it returns."""
        search = self.search
        if (search is None or search.running or search.done or search.full or search.cancelled
                or search.generation != self.window.generation):
            return
        search.running = True
        filters = list_filters(self.task_query, self.app.clock.now(), self.app.stuck_after_ms)
        goal = min(SEARCH_PAGE, SEARCH_ROWS - search.found)
        started_at = self.app.clock.local()
        cursor = search.cursor

        def run() -> None:
            nonlocal cursor
            found = 0
            try:
                while cursor is not None and found < goal and not search.cancel.is_set():
                    asked = cursor
                    page = self.app.store.list_tasks(filters, asked)
                    found += len(page.data)
                    cursor = dict(page.cursor) if page.cursor else None
                    self.app.call_from_thread(self._search_progress, search, asked, page)
            except TaskStoreError as exc:
                search.failed = True
                self.post_message(StoreFailed(exc, "search", started_at))
            self.app.call_from_thread(self._search_paused, search)

        self.run_worker(run, thread=True, group="search", exit_on_error=False, name="payload search")
        self._describe()

    def _search_progress(self, search: SearchProgress, asked: Cursor, page: Page[Task]) -> None:
        if search is not self.search:
            return  # the list started again meanwhile
        search.examined += page.examined or 0
        search.cursor = dict(page.cursor) if page.cursor else None
        fresh = self.window.add_page(asked, Page(page.data, None))  # the search keeps the cursor
        search.found += len(fresh)
        if fresh:
            append_rows(self.table, [(t.task_id, self._cells(t)) for t in fresh])
            self.table.resort()
            self.selection_changed()
        self._describe()

    def _search_paused(self, search: SearchProgress) -> None:
        if search is not self.search:
            return
        search.running = False
        search.cancelled = search.cancel.is_set() and not search.done
        self._describe()
        row = self.table.cursor_row
        if not search.cancelled and not search.failed and row >= self.table.row_count - PREFETCH_ROWS:
            self._search_more()  # the cursor is near the last row already: on with the next page

    def cancel_search(self) -> bool:
        """esc while a search runs: no further store call (the one under way
        finishes and is shown). Returns whether there was one to cancel."""
        search = self.search
        if search is None or not search.running or search.cancel.is_set():
            return False
        search.cancel.set()
        self._describe()
        return True

    def load_next_page(self) -> None:
        if self._searching():
            self._search_more()
            return
        cursor = self.window.next_cursor
        if cursor is None or self.paging or not self._pages():
            return
        self._fetch_page(dict(cursor), self._page_done, "next page")

    def load_previous_page(self) -> None:
        """The last page dropped above the table, again, by the cursor that first
        loaded it, and as many pages after it as it takes to reach the table's
        first row (``Refetch``)."""
        if self.paging or not self._pages():
            return
        refetch = self.window.refetch_above()
        if refetch is None:
            return
        filters = list_filters(self.task_query, self.app.clock.now(), self.app.stuck_after_ms)
        self._fetch(
            lambda store: refetch.run(lambda cursor: store.list_tasks(filters, cursor)),
            self._previous_page_done, "previous page",
        )

    def _fetch_page(self, cursor: Cursor, done: Callable[[Cursor, Page[Task]], None], what: str) -> None:
        filters = list_filters(self.task_query, self.app.clock.now(), self.app.stuck_after_ms)
        self._fetch(lambda store: (cursor, store.list_tasks(filters, cursor)), lambda result: done(*result), what)

    def _fetch(self, load: Callable[[Store], T], done: Callable[[T], None], what: str) -> None:
        """``load(store)`` in a worker thread, then ``done(result)`` on the UI, unless the list started again."""
        self.paging = True
        generation = self.window.generation
        started_at = self.app.clock.local()

        def fetch_page() -> None:
            try:
                result = load(self.app.store)
            except TaskStoreError as exc:
                self.post_message(StoreFailed(exc, what, started_at))
                self.app.call_from_thread(self._page_failed)
                return
            self.app.call_from_thread(lambda: self._page_loaded(generation, done, result))

        self.run_worker(fetch_page, thread=True, exclusive=True, group="page", exit_on_error=False)

    def _page_failed(self) -> None:
        self.paging = False
        self._to_end = False

    def _page_loaded(self, generation: int, done: Callable[[T], None], result: T) -> None:
        self.paging = False
        if generation == self.window.generation:  # else the list started again (filter, R) meanwhile
            done(result)

    def _page_done(self, cursor: Cursor, page: Page[Task]) -> None:
        fresh = self.window.add_page(cursor, page)
        table = self.table
        append_rows(table, [(t.task_id, self._cells(t)) for t in fresh])
        if self.window.overfull:
            dropped = self.window.drop_above(keep=selected_key(table))  # never the page the cursor is on
            if dropped:
                rebuild_rows(table, [(key, table.get_row(key)) for key in self.window.tasks], shift=-dropped)
        table.resort()  # a sort the operator chose takes the new rows in
        self._describe()
        self._go_on_to_end()

    def _previous_page_done(self, pages: list[tuple[Cursor, list[Task]]] | None) -> None:
        if pages is None:
            self.notify("Too many new tasks above these rows: reloading from the top.", markup=False)
            self._start_over()
            self.tick()
            return
        table = self.table
        fresh, _dropped_below = self.window.add_pages_above(pages, keep=selected_key(table))
        # In the window's order (the table's may be the operator's sort), without the rows dropped below.
        cells: dict[str, Sequence[Text]] = {t.task_id: self._cells(t) for t in fresh}
        rows: list[tuple[str, Sequence[Text]]] = [
            (key, cells[key] if key in cells else table.get_row(key)) for key in self.window.tasks
        ]
        rebuild_rows(table, rows, shift=len(fresh))
        table.resort()
        self._describe()
        self._go_on_to_end()

    # -- selection and keys ------------------------------------------------------
    def current_task(self) -> Task | None:
        key = selected_key(self.table)
        return self.tasks.get(key) if key is not None else None

    def selection_changed(self) -> None:
        hints = None if self.app.read_only else self.marking.hint()
        if hints is None:
            hints = action_hints(self.selected_task(), self.app.read_only, detailed=False)
        self.query_one("#task-actions", Static).update(hints)

    def _focused_table(self) -> DataTable:
        focused = self.focused
        return focused if isinstance(focused, DataTable) else self.table

    def action_first_row(self) -> None:
        """Home: the first task of the list; when rows above were dropped, the
        list loads again from the top (as R does deep in the list)."""
        if self._focused_table() is not self.table:
            super().action_first_row()
            return
        self._to_end = False
        if self.window.has_above:
            self._start_over()
            self.tick()
        else:
            self.table.action_scroll_top()

    def action_last_row(self) -> None:
        """End: the last task of the list, in one press: the pages after the
        last row load one after another through the window (which drops pages
        above as usual, so it never holds more than its rows), the cursor on
        the last row as they come."""
        if self._focused_table() is not self.table:
            super().action_last_row()
            return
        self.table.action_scroll_bottom()
        self._to_end = self._pages() and self.window.next_cursor is not None
        self.load_next_page()

    def _go_on_to_end(self) -> None:
        """After a page, while End is under way: the cursor on the last row, the next page."""
        if not self._to_end:
            return
        self.table.move_cursor(row=self.table.row_count - 1, animate=False)
        if self.window.next_cursor is None:
            self._to_end = False
        else:
            self.load_next_page()

    def action_open_task(self) -> None:
        task = self.current_task()
        if task is not None:
            self.app.open_task(task.task_id)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.data_table.id == "tasks":
            self.action_open_task()

    def action_show_group(self) -> None:
        task = self.selected_task()
        if task is not None:
            self.app.open_tasks(TaskQuery(topic=None, group=task.task_group_id))

    def action_filter(self) -> None:
        if self.task_query.group is not None or self.task_query.owner is not None:
            return
        from sokka_tui.screens.filter import FilterModal

        self.app.push_screen(FilterModal(self.task_query, self.app.clock.now(), self.app.zone), self._apply_filter)

    def _apply_filter(self, query: TaskQuery | None) -> None:
        if query is None or query == self.task_query:
            return
        self.task_query = replace(query)
        self.table.set_default_order(OLDEST_FIRST if query.stuck == STUCK_STARTING else None)
        self._start_over()
        self._describe()
        self.tick()

    # -- the filter line (/): typed words become the store query --------------------------
    def _one_set(self) -> bool:
        """A group, or one owner's leases: a set of its own, not a topic's list to filter."""
        return self.task_query.group is not None or self.task_query.owner is not None

    def filter_start(self, table: ViewTable) -> str:
        return typed_text(self.task_query) if table is self.table else super().filter_start(table)

    def filter_hint(self, table: ViewTable) -> str:
        return TYPED_HINT if table is self.table else super().filter_hint(table)

    def filter_typed(self, table: ViewTable, text: str, final: bool) -> str | None:
        """On the task list the words are a query to the store (``typed_query``),
        sent once typing pauses (``TYPED_FILTER_DELAY``), or at once on enter/esc."""
        if table is not self.table:
            return super().filter_typed(table, text, final)
        if self._typed_timer is not None:
            self._typed_timer.stop()
            self._typed_timer = None
        try:
            query = typed_query(text, self.task_query)
        except ValueError as exc:
            return str(exc)
        if final:
            self._apply_filter(query)
        else:
            self._typed_timer = self.set_timer(TYPED_FILTER_DELAY, lambda: self._apply_typed(query))
        return None

    def _apply_typed(self, query: TaskQuery) -> None:
        self._typed_timer = None
        self._apply_filter(query)

    def open_filter_form(self) -> None:
        self.action_filter()

    def action_refresh_now(self) -> None:
        """R: deep in the list, reload from the top; otherwise refresh in place.
        A search starts again."""
        if self.deep or self._searching():
            self._start_over()
        self.tick()

    def _scrolled(self, scroll_y: float) -> None:
        """Scrolled up to rows that came above: they are in sight, no longer news."""
        if self.newer_above > round(scroll_y):
            self.newer_above = round(scroll_y)
            self._describe()

    def _start_over(self) -> None:
        """Forget the rows loaded; the next load starts from the top."""
        self._to_end = False
        self.newer_above = 0
        if self.search is not None:
            self.search.cancel.set()
            self.search = None
        self.window.start_over()
        self.table.clear()

    # -- marking and bulk triage (triage.Marking) -----------------------------------
    def _redraw_marks(self) -> None:
        for key in self.tasks:
            if key in self.table.rows:
                self.table.update_cell(key, self.table.ordered_columns[0].key, self._cells(self.tasks[key])[0])
        self._describe()
        self.selection_changed()
        self.refresh_bindings()

    def action_mark_task(self) -> None:
        task = self.current_task()
        if task is None:
            return
        self.marking.toggle(task)
        self.table.action_cursor_down()

    def action_mark_all(self) -> None:
        """Freeze every task the current query matches, as it is now, page by page."""
        self.marking.mark_matching(self.task_query)

    def action_back(self) -> None:
        if self.cancel_search():  # esc stops a search first
            return
        if not self.marking.clear():  # esc clears the marks, then leaves
            super().action_back()

    def action_stuck(self, stuck: str) -> None:
        if self.task_query.group is not None or self.task_query.owner is not None:
            return
        self._apply_filter(replace(self.task_query, stuck=None if self.task_query.stuck == stuck else stuck))

    def action_revoke_expired(self) -> None:
        revoke_expired_leases(self, self.task_query.topic)

    def action_owners(self) -> None:
        self.app.open_owners(self.task_query.topic)

    def action_failures(self) -> None:
        if self.task_query.topic is not None:
            self.app.open_failures(self.task_query.topic)

    def start_action(self, action: Action) -> None:
        if self.marks:
            self.marking.run(action)
        else:
            super().start_action(action)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if self.marks and action in ("snooze_task", "fail_task", "terminate_task", "revoke_lease", "rerun_task"):
            return not self.app.read_only
        if action in ("mark_task", "mark_all", "revoke_expired") and self.app.read_only:
            return False
        # A group, or one owner's leases: a set of its own, not a topic's list to filter.
        one_set = self._one_set()
        if action in ("revoke_expired", "owners", "stuck", "filter") and one_set:
            return False
        if action == "failures" and self.task_query.topic is None:
            return False
        if action == "filter_rows" and one_set and self.view_table() is self.table:
            return False  # (the leased panel, focused, still filters)
        if action in ("toggle_chart", "chart_span") and not self._charts():
            return False
        if action in ("show_group", "open_task") and self.current_task() is None:
            return None
        return super().check_action(action, parameters)

