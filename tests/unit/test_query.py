"""The task list's query: the times an operator types into the filter, the
one-line description, which tasks pass it, and the filters sent to the store
(the stuck class "starting for too long" is a bound on ``updated_at``)."""

from __future__ import annotations

import datetime as dt

import pytest

from sokka_tui.query import STUCK_EXPIRED, STUCK_STARTING, TaskQuery, parse_moment
from sokka_tui.selection import list_filters
from stores import TaskStatus
from tests.unit.values import AT, make_task

NOW = AT


def utc_ms(*parts: int) -> int:
    return int(dt.datetime(*parts, tzinfo=dt.UTC).timestamp() * 1000)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("", None), ("   ", None),
        ("15m", NOW - 900_000), ("2h", NOW - 7_200_000), (" 1h30m ", NOW - 5_400_000),
        ("400d", NOW - 400 * 86_400_000),  # ago: up to ten years, not the snooze's 30 days
        ("2026-11-29 08:00", utc_ms(2026, 11, 29, 8, 0)),
        ("2026-11-29 08:00:30", utc_ms(2026, 11, 29, 8, 0, 30)),
        ("2026-11-29T08:00", utc_ms(2026, 11, 29, 8, 0)),
        ("2026-11-29T08:00:30", utc_ms(2026, 11, 29, 8, 0, 30)),
        ("2026-11-29", utc_ms(2026, 11, 29)),
    ],
)
def test_moments_as_a_duration_ago_or_a_utc_time(typed, expected):
    assert parse_moment(typed, NOW) == expected


@pytest.mark.parametrize(
    "typed", ["last tuesday", "-5m", "2026-13-01", "2026-11-29 25:00", "29/11/2026", "0s", "x" * 500, "[/]"],
)
def test_bad_moments_are_refused_with_the_reason(typed):
    with pytest.raises(ValueError, match="Not a time") as refused:
        parse_moment(typed, NOW)
    assert len(str(refused.value)) < 200  # the input is quoted cut short


def test_filters_hold_only_what_is_set():
    query = TaskQuery(topic="emails", status=TaskStatus.FAILED, from_ms=5, text="order-42")
    assert query.filters() == {"topic": "emails", "status": TaskStatus.FAILED, "from_ms": 5}
    assert query.filtered and not TaskQuery(topic="emails").filtered
    assert query.cleared() == TaskQuery(topic="emails")
    assert TaskQuery(topic="emails", group="g").cleared().group == "g"  # a group list stays one


def test_describe_in_one_line_with_store_text_cleaned():
    assert TaskQuery(topic="emails").describe() == "no filter"
    query = TaskQuery(topic="emails", status=TaskStatus.STARTING, sub_topic="we\x1b[2Jlcome",
                      from_ms=utc_ms(2026, 11, 29, 8, 0), stuck=STUCK_EXPIRED)
    described = query.describe()
    assert "\x1b" not in described
    assert described == (
        "status=starting, sub-topic='we\u241b[2Jlcome', updated since 2026-11-29 08:00:00.000 UTC, "
        "stuck: running with an expired lease"
    )
    assert TaskQuery(group="g\x07").describe() == "group 'g\u2407'"


def test_matches_the_plain_filters():
    task = make_task(topic="emails", sub_topic="welcome", status=TaskStatus.STARTING, updated_at=100)
    assert TaskQuery(topic="emails", sub_topic="welcome", from_ms=100, to_ms=100).matches(task)
    assert not TaskQuery(topic="invoices").matches(task)
    assert not TaskQuery(status=TaskStatus.RUNNING).matches(task)
    assert not TaskQuery(from_ms=101).matches(task)
    assert not TaskQuery(to_ms=99).matches(task)


def test_starting_too_long_is_a_bound_on_updated_at():
    after = 300_000
    assert list_filters(TaskQuery(topic="emails", stuck=STUCK_STARTING), NOW, after) == {
        "topic": "emails", "status": TaskStatus.STARTING, "to_ms": NOW - after,
    }
    # With an "until" already set, the earlier of the two.
    earlier = TaskQuery(topic="emails", to_ms=NOW - 10 * after, stuck=STUCK_STARTING)
    assert list_filters(earlier, NOW, after)["to_ms"] == NOW - 10 * after
    later = TaskQuery(topic="emails", to_ms=NOW, stuck=STUCK_STARTING)
    assert list_filters(later, NOW, after)["to_ms"] == NOW - after
    # The other classes are read from the leased index, not filtered here.
    assert list_filters(TaskQuery(topic="emails", stuck=STUCK_EXPIRED), NOW, after) == {"topic": "emails"}
