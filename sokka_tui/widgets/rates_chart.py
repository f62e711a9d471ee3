"""The tasks screen's chart of one topic: created, finished, failed and snoozed
per bucket, and the queue latency (the oldest ``starting`` task's wait), each a
sparkline scaled to its own peak, labelled with its total and peak, over a
time axis.

It shows what the screen's refresh read (``RateChart``); it never calls the
store. Its width decides how many buckets one bar sums (``sokka_tui.sparklines``).
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.widget import Widget

from sokka_tui.rates import BUCKETS, HOUR, SPAN, RateChart
from sokka_tui.render import format_duration, safe_id
from sokka_tui.sparklines import Combine, compact, sparkline, squeeze
from sokka_tui.styles import EXPIRING, STATUS_STYLES
from sokka_tui.timezones import UTC, Zone
from stores import TaskStatus

#: The label before each line, and the room for its figures after it.
LABEL_WIDTH = 10
STATS_WIDTH = 36
#: The fewest cells a line's bars get, however narrow the screen.
MIN_CELLS = 6
#: Its lines: the title, created, finished, failed, snoozed, waiting, the axis.
LINES = 7
#: Compact (a short terminal): the title, finished, failed, waiting.
COMPACT_LINES = 4
#: A terminal at least this tall shows the whole chart, and shows it until ``c``
#: says otherwise; a shorter one shows it compact, and only when asked (``c``),
#: so at 80x24 the task list keeps its rows.
CHART_MIN_LINES = 40
#: The axis's marks, by resolution: the window's start, its middle, now.
AXIS = {HOUR: ("-60m", "-30m", "now"), "10min": ("-24h", "-12h", "now")}


class RatesChart(Widget):
    """One topic's rates and queue latency, as of the last refresh."""

    DEFAULT_CSS = f"""
    RatesChart {{ height: {LINES}; padding: 0 1; text-wrap: nowrap; text-overflow: ellipsis; }}
    """

    def __init__(self, zone: Zone = UTC, **kwargs) -> None:
        super().__init__(**kwargs)
        #: Where the time the samples begin is said (``--tz``).
        self.zone = zone
        self.chart: RateChart | None = None
        self.compact = False

    def set_compact(self, compact: bool) -> None:
        """Compact: finished, failed and waiting only, under the title (no
        created, snoozed or axis), so a short terminal keeps rows of its list."""
        if compact != self.compact:
            self.compact = compact
            self.styles.height = COMPACT_LINES if compact else LINES
            self.refresh()

    def show_chart(self, chart: RateChart) -> None:
        self.chart = chart
        self.refresh()

    def render(self) -> Text:
        chart = self.chart
        if chart is None:
            return Text("Rates: loading…", style="dim")
        # As many bars as fit (whole groups of buckets), the figures right after them.
        room = max(MIN_CELLS, self.size.width - LABEL_WIDTH - 2 - STATS_WIDTH)
        cells = len(squeeze([0] * BUCKETS[chart.resolution], room))
        unit, span = SPAN[chart.resolution]
        per = "min" if chart.resolution == HOUR else "10 min"
        lines = [self._title(chart, unit, span)]
        kinds = [
            ("Created", chart.created, TaskStatus.STARTING),
            ("Finished", chart.finished, TaskStatus.TERMINATED),
            ("Failed", chart.failed, TaskStatus.FAILED),
            ("Snoozed", chart.snoozed, TaskStatus.SNOOZED),
        ]
        if self.compact:
            kinds = [kind for kind in kinds if kind[0] in ("Finished", "Failed")]
        for label, values, status in kinds:
            total, peak = sum(values), max(values, default=0)
            figures = f"{compact(total)} in the {span}, peak {compact(peak)}/{per}" if total else f"none in the {span}"
            lines.append(self._line(label, values, cells, STATUS_STYLES[status], figures, bool(total)))
        lines.append(self._line("Waiting", chart.waiting, cells, EXPIRING, self._wait_figures(chart),
                                any(chart.waiting), combine=max))
        if not self.compact:
            lines.append(self._axis(chart, cells))
        return Text("\n").join(lines)

    def _title(self, chart: RateChart, unit: str, span: str) -> Text:
        title = Text("Rates of ", style="bold")
        title.append_text(safe_id(chart.topic, 40, "bold"))
        title.append(f"  per {unit}, the last {span}")
        title.append("  (the last bar is still filling)", style="dim")
        return title

    def _line(self, label: str, values: Sequence[int | None], cells: int, style: str, figures: str, some: bool,
              *, combine: Combine = sum) -> Text:
        line = Text(label.ljust(LABEL_WIDTH), style="bold" if some else "dim", no_wrap=True, end="")
        line.append_text(sparkline(values, cells, style, combine=combine))
        line.append("  ")
        line.append(figures[:STATS_WIDTH], style=style if some else "dim")
        return line

    def _wait_figures(self, chart: RateChart) -> str:
        sampled = [value for value in chart.waiting if value is not None]
        if not sampled:
            return "not sampled yet"
        now = format_duration(chart.waiting_now) if chart.waiting_now else "none waiting"
        longest = max(sampled)
        return f"now {now}, longest {format_duration(longest)}" if longest else f"now {now}"

    def _axis(self, chart: RateChart, cells: int) -> Text:
        """``-60m … -30m … now`` under the bars, then since when this console
        has sampled the waits (the store keeps no history of them)."""
        start, middle, end = AXIS[chart.resolution]
        axis = [" "] * cells
        first, bars = 0, cells

        def put(at: int, mark: str) -> None:
            at = max(0, min(at, cells - len(mark)))
            axis[at:at + len(mark)] = mark

        put(first, start)
        put(first + bars // 2 - len(middle) // 2, middle)
        put(cells - len(end), end)
        line = Text(" " * LABEL_WIDTH + "".join(axis), style="dim", no_wrap=True, end="")
        since = chart.sampled_since_ms
        if since is not None:
            line.append(f"  waits sampled since {self.zone.format(since, '%H:%M', millis=False)}", style="dim")
        return line
