"""The leased panel's bar is out of the lease the store granted the task, not the
console's own lease time (pure: real Task values, no store, no app)."""

from __future__ import annotations

from sokka_tui.widgets.leased_panel import BAR_WIDTH, granted_ms, lease_bar
from stores import TaskStatus
from tests.unit.values import AT, make_task


def filled(task, now: int) -> int:
    return lease_bar(task, now).plain.count("█")


def test_a_running_task_is_measured_against_its_own_lease():
    five_s = make_task(status=TaskStatus.RUNNING, pid="w1", updated_at=AT, lease_expires_at=AT + 5_000)
    assert granted_ms(five_s) == 5_000
    assert filled(five_s, AT) == BAR_WIDTH
    assert filled(five_s, AT + 2_500) == BAR_WIDTH // 2
    assert filled(five_s, AT + 5_000) == 0 and lease_bar(five_s, AT + 5_000).style == "red"
    two_min = make_task(status=TaskStatus.RUNNING, pid="w1", updated_at=AT, lease_expires_at=AT + 120_000)
    assert filled(two_min, AT + 60_000) == BAR_WIDTH // 2


def test_a_snoozed_task_is_measured_against_its_snooze():
    snoozed = make_task(status=TaskStatus.SNOOZED, snooze_time=10_000, updated_at=AT, lease_expires_at=AT + 10_000)
    assert granted_ms(snoozed) == 10_000 and filled(snoozed, AT + 5_000) == BAR_WIDTH // 2


def test_a_task_without_a_lease_has_an_empty_bar():
    starting = make_task()
    assert granted_ms(starting) is None and filled(starting, AT) == 0


def test_countdowns_under_a_second_say_now_not_0ms():
    from sokka_tui.widgets.leased_panel import lease_label

    snoozed = make_task(status=TaskStatus.SNOOZED, snooze_time=10_000, updated_at=AT, lease_expires_at=AT + 10_000)
    assert lease_label(snoozed, AT + 10_000, 0)[0] == "WAKE DUE now"
    assert lease_label(snoozed, AT + 10_400, 0)[0] == "WAKE DUE now"
    assert lease_label(snoozed, AT + 12_000, 0)[0] == "WAKE DUE 2s ago"
    assert lease_label(snoozed, AT + 9_600, 0)[0] == "wakes now"
    running = make_task(status=TaskStatus.RUNNING, pid="w1", updated_at=AT, lease_expires_at=AT + 5_000)
    assert lease_label(running, AT + 5_000, 0)[0] == "STUCK now" and lease_label(running, AT, 0)[0] == "expires in 5s"
