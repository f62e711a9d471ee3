"""The durations an operator types (snooze, "updated since 15m"): parsed, or
refused with a reason the modal shows. The console refuses them before any
store is asked, so no backend is needed here; the snooze modal's wiring is one
pilot test (tests/tui/test_actions.py)."""

from __future__ import annotations

import pytest

from sokka_tui.durations import MAX_SNOOZE_MS, DurationError, format_hint, parse_duration

#: Inputs the snooze modal refuses, each with a reason: zero, negative, unknown
#: units, non-ASCII digits, floats, too long, markup and escape sequences.
BAD_DURATIONS = [
    "", "   ", "0", "0s", "0ms", "0h0m", "-5m", "-1", "- 5m", "soon", "5 parsecs", "NaN", "inf", "1e3s",
    "400d", "31d", "99999999999999999999d", "9" * 5000 + "s", "1.5h", "5m garbage", "\u0663s",
    "[bold red]5m[/]", "5m[/]", "[@click=app.quit]5m[/]", "\x1b[2J5m", "5m\x1b]0;title\x07",
]


@pytest.mark.parametrize(
    ("typed", "ms"),
    [
        ("30s", 30_000), ("5m", 300_000), ("2h", 7_200_000), ("1h30m", 5_400_000), ("1500ms", 1_500),
        ("1d", 86_400_000), ("1h 30m", 5_400_000), ("  2H ", 7_200_000), ("1m30s250ms", 90_250),
        ("30d", MAX_SNOOZE_MS), ("007s", 7_000),
    ],
)
def test_durations_in_every_unit_and_combined(typed, ms):
    assert parse_duration(typed) == ms


@pytest.mark.parametrize("typed", BAD_DURATIONS, ids=range(len(BAD_DURATIONS)))
def test_bad_durations_are_refused_with_a_reason(typed):
    with pytest.raises(DurationError) as refused:
        parse_duration(typed)
    reason = str(refused.value)
    # A reason the modal can show as it is: not a hint ("= 1h 30m"), no raw escape byte.
    assert reason and not reason.startswith("=") and "\x1b" not in reason


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("", "Type a duration"), ("-5m", "cannot be negative"), ("0s", "longer than zero"),
        ("31d", "At most 30 days"), ("9" * 65, "Too long"), ("soon", "Not a duration: 'soon'"),
    ],
)
def test_each_refusal_says_why(typed, reason):
    with pytest.raises(DurationError, match=reason):
        parse_duration(typed)


def test_the_longest_duration_is_a_parameter():
    assert parse_duration("400d", maximum_ms=10 * 365 * 86_400_000) == 400 * 86_400_000
    with pytest.raises(DurationError, match="At most 1 days"):
        parse_duration("25h", maximum_ms=86_400_000)


def test_a_refused_duration_is_a_value_error():
    # The modals catch ValueError; parse_moment falls back to dates on it.
    assert issubclass(DurationError, ValueError)


def test_the_hint_shown_while_typing():
    assert format_hint(5_400_000) == "= 1h 30m"
    assert format_hint(1_500) == "= 1s"
