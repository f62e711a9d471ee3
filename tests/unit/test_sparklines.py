"""Sparklines of counts over time: zero-based, a zero is blank, anything above
zero shows, buckets squeezed into whole groups, the newest at the right edge."""

from __future__ import annotations

import pytest

from sokka_tui.sparklines import BARS, compact, group_size, rate_cell, sparkline, squeeze


@pytest.mark.parametrize(
    ("buckets", "cells", "size"),
    [(60, 60, 1), (60, 100, 1), (60, 30, 2), (60, 20, 3), (60, 12, 5), (60, 9, 10), (60, 7, 10), (60, 1, 60),
     (144, 144, 1), (144, 100, 2), (144, 40, 4), (144, 24, 6), (0, 10, 1)],
)
def test_a_bar_covers_a_whole_divisor_of_the_buckets(buckets, cells, size):
    assert group_size(buckets, cells) == size
    if buckets:
        assert buckets % size == 0 and buckets // size <= max(cells, 1)


def test_squeeze_sums_counts_and_keeps_unknown_apart():
    assert squeeze([1, 2, 3, 4, 5, 6], 3) == [3, 7, 11]
    assert squeeze([1, 2, 3, 4, 5, 6], 6) == [1, 2, 3, 4, 5, 6]
    assert squeeze([None, None, 5, None], 2) == [None, 5]
    assert squeeze([1, 9, 4, 2], 2, max) == [9, 4]


def test_zero_is_blank_and_a_little_is_the_lowest_block():
    line = sparkline([0, 1, 100, 50, 0], 5).plain
    assert line == " ▁█▄ "
    assert sparkline([0, 0, 0], 3).plain == "   "  # nothing happened: nothing drawn
    assert sparkline([None, 0, 3], 3).plain == "  █"


def test_the_scale_starts_at_zero_not_at_the_smallest_value():
    """Steady traffic looks steady (Textual's Sparkline would draw 40 as ▁ and 44 as █)."""
    assert sparkline([40, 44, 42], 3).plain == "███"
    assert set(sparkline([40, 44, 42], 3).plain) <= set(BARS[-2:])


def test_fewer_bars_than_cells_are_padded_on_the_left():
    line = sparkline([1] * 60, 14)  # 12 bars of 5 minutes in 14 cells
    assert line.plain == " " * 2 + "█" * 12
    assert sparkline([1] * 60, 9).plain == " " * 3 + "█" * 6  # 6 bars of 10 minutes
    assert len(sparkline(list(range(60)), 60).plain) == 60


def test_a_shared_peak_scales_lines_alike():
    assert sparkline([4, 8], 2, peak=8).plain == "▄█"
    assert sparkline([4, 8], 2, peak=16).plain == "▂▄"


@pytest.mark.parametrize(
    ("n", "text"),
    [(0, "0"), (999, "999"), (9_999, "9,999"), (10_000, "10.0k"), (12_345, "12.3k"), (123_456, "123k"),
     (999_950, "1000k"), (1_234_567, "1.2M"), (123_456_789, "123M")],
)
def test_compact_counts_fit_five_cells(n, text):
    assert compact(n) == text
    assert len(text) <= 5


def test_a_rate_cell_is_its_width_with_the_total_on_the_right():
    cell = rate_cell([0] * 55 + [1, 2, 3, 4, 5], 18, "green")
    assert len(cell.plain) == 18
    assert cell.plain.endswith("   15")
    assert cell.plain[:12] == " " * 11 + "█"  # 12 bars of 5 minutes: the last 5 minutes in the last bar
    empty = rate_cell([0] * 60, 12, "green")
    assert empty.plain == " " * 6 + " " + "    0"
    assert any("dim" in str(span.style) for span in empty.spans)
