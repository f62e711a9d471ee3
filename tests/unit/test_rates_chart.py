"""The rates chart as drawn (pure: a ``RateChart`` made by hand, in a bare app,
no store): a line per kind with its total and peak, the waits from the
console's samples, an axis; as many bars as fit; and the topics table's
columns fitted to the screen."""

from __future__ import annotations

from textual.app import App, ComposeResult

from sokka_tui.rates import DAY, HOUR, RateChart
from sokka_tui.screens.topics import COLUMNS, PAUSED_NARROWEST, RATE_WIDTHS, column_widths
from sokka_tui.timezones import UTC
from sokka_tui.widgets.rates_chart import RatesChart

NOW = 1_795_000_000_000


def chart(resolution: str = HOUR, **changes) -> RateChart:
    n = 60 if resolution == HOUR else 144
    values = {
        "topic": "emails",
        "resolution": resolution,
        "now_ms": NOW,
        "created": (0,) * (n - 3) + (5, 10, 2),
        "finished": (0,) * (n - 2) + (9, 1),
        "failed": (0,) * n,
        "snoozed": (0,) * (n - 1) + (1,),
        "waiting": (None,) * (n - 2) + (90_000, 30_000),
        "waiting_now": 30_000,
        "sampled_since_ms": NOW - 90_000,
    }
    values.update(changes)
    return RateChart(**values)


class ChartApp(App[None]):
    def __init__(self, shown: RateChart | None) -> None:
        super().__init__()
        self.shown = shown

    def compose(self) -> ComposeResult:
        yield RatesChart(UTC)

    def on_mount(self) -> None:
        if self.shown is not None:
            self.query_one(RatesChart).show_chart(self.shown)


async def lines(shown: RateChart | None, width: int, *, compact: bool = False) -> list[str]:
    app = ChartApp(shown)
    async with app.run_test(size=(width, 10)) as pilot:
        await pilot.pause()
        widget = app.query_one(RatesChart)
        widget.set_compact(compact)
        await pilot.pause()
        assert widget.size.height == (4 if compact else 7)
        return [line.plain.rstrip() for line in widget.render().split("\n")]


async def test_each_kind_has_its_line_with_total_and_peak():
    drawn = await lines(chart(), 160)
    assert drawn[0].startswith("Rates of emails  per minute, the last hour")
    created, finished, failed, snoozed, waiting, axis = drawn[1:]
    assert created.startswith("Created") and created.endswith("17 in the hour, peak 10/min")
    assert finished.endswith("10 in the hour, peak 9/min")
    assert failed.endswith("none in the hour")
    assert snoozed.endswith("1 in the hour, peak 1/min")
    assert waiting.endswith("now 30s, longest 1m 30s")
    bars = created[10:70]
    assert bars == " " * 57 + "▄█▂"  # 60 bars of a minute: the newest at the right
    assert axis.split() == ["-60m", "-30m", "now", "waits", "sampled", "since", "11:05", "UTC"]


async def test_a_narrow_chart_sums_minutes_into_fewer_bars():
    drawn = await lines(chart(), 80)
    created = drawn[1]
    assert "17 in the hour, peak 10/min" in created
    bars = created[10:created.index("  17")]
    assert len(bars) == 30 and bars.endswith(" ▄█")  # 2 minutes a bar: 0 + 5, then 10 + 2
    assert all(len(line) <= 78 for line in drawn)


async def test_a_compact_chart_keeps_finished_failed_and_waiting():
    drawn = await lines(chart(), 80, compact=True)
    assert [line.split()[0] for line in drawn] == ["Rates", "Finished", "Failed", "Waiting"]


async def test_the_day_chart_speaks_of_ten_minutes():
    drawn = await lines(chart(DAY), 160)
    assert "per 10 minutes, the last day" in drawn[0]
    assert drawn[1].endswith("17 in the day, peak 10/10 min")
    assert drawn[-1].split()[:3] == ["-24h", "-12h", "now"]


async def test_before_any_sample_the_waits_say_so_and_before_any_load_the_chart_too():
    drawn = await lines(chart(waiting=(None,) * 60, waiting_now=0, sampled_since_ms=None), 160)
    assert drawn[5].endswith("not sampled yet")
    assert "waits sampled" not in drawn[6]
    assert await lines(None, 160) == ["Rates: loading…"]


def test_wide_screens_get_the_widest_rate_columns_and_narrow_ones_narrow_them_then_paused():
    wide = column_widths(250, 16, paused=True)
    assert wide["Finished/h"] == wide["Failed/h"] == RATE_WIDTHS[0] and wide["Paused"] == dict(COLUMNS)["Paused"]
    at_160 = column_widths(160, 16, paused=False)
    assert at_160["Paused"] == len("Paused")  # nothing paused: the column is its heading
    assert sum(w + 2 for w in at_160.values()) + 2 <= 160
    assert at_160["Finished/h"] == RATE_WIDTHS[1]  # 15 bars of 4 minutes
    paused_160 = column_widths(160, 16, paused=True)
    assert PAUSED_NARROWEST <= paused_160["Paused"] < dict(COLUMNS)["Paused"]  # narrowed: then it fits
    assert sum(w + 2 for w in paused_160.values()) + 2 == 160
    assert column_widths(160, 40, paused=True)["Paused"] == dict(COLUMNS)["Paused"]  # nothing fits: its reason kept
    small = column_widths(80, 16, paused=True)
    assert small["Finished/h"] == RATE_WIDTHS[-1]  # narrowest, then the table scrolls sideways
    assert sum(w + 2 for w in list(small.values())[:7]) <= 80  # up to Terminated in sight, as before
