"""One definition of a lease's state: a lease that ended less than the grace ago
is "expiring", not STUCK (pure: real Task values, no store, no app)."""

from __future__ import annotations

from sokka_tui.leases import LeaseState, lease_state, stuck_cutoff
from stores import TaskStatus
from tests.unit.values import AT, make_task

GRACE = 2_000


def running(ends_at: int):
    return make_task(status=TaskStatus.RUNNING, pid="w1", lease_expires_at=ends_at)


def snoozed(wakes_at: int):
    return make_task(status=TaskStatus.SNOOZED, snooze_time=10_000, lease_expires_at=wakes_at)


def test_a_lease_that_just_ended_is_expiring_until_the_grace_is_over():
    task = running(AT)
    assert lease_state(task, AT - 1, GRACE) == LeaseState.LIVE
    assert lease_state(task, AT, GRACE) == LeaseState.EXPIRING
    assert lease_state(task, AT + 5, GRACE) == LeaseState.EXPIRING  # milliseconds ago: not stuck
    assert lease_state(task, AT + GRACE - 1, GRACE) == LeaseState.EXPIRING
    assert lease_state(task, AT + GRACE, GRACE) == LeaseState.STUCK


def test_a_snooze_whose_wake_time_just_passed_is_waking_then_wake_due():
    task = snoozed(AT)
    assert lease_state(task, AT - 1, GRACE) == LeaseState.LIVE
    assert lease_state(task, AT + 1, GRACE) == LeaseState.WAKING
    assert lease_state(task, AT + GRACE, GRACE) == LeaseState.WAKE_DUE


def test_a_grace_of_zero_turns_expiring_off():
    assert lease_state(running(AT), AT, 0) == LeaseState.STUCK
    assert lease_state(snoozed(AT), AT, 0) == LeaseState.WAKE_DUE
    assert stuck_cutoff(AT, 0) == AT and stuck_cutoff(AT, GRACE) == AT - GRACE


def test_a_task_without_a_lease_has_no_lease_state():
    assert lease_state(make_task(), AT, GRACE) is None
    assert lease_state(make_task(status=TaskStatus.FAILED, lease_expires_at=AT), AT + 10_000, GRACE) is None
