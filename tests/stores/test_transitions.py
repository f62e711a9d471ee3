"""Error order, the owner check, MVCC, and the writes' arguments (the transition
table itself, from every status, is ``test_transition_table.py``)."""

from __future__ import annotations

import pytest

from stores import (
    AlreadyDone,
    InvalidArgument,
    InvalidStatus,
    TaskConcurrentlyUpdated,
    TaskNotFound,
    TaskStatus,
    WrongOwner,
)
from tests.stores.clock import wait_past

OWNER = "owner-1"


def task_in(store, status: TaskStatus, topic: str = "tt"):
    """A task brought to ``status`` through the protocol's own operations."""
    store.create_task({"topic": topic, "data": {"want": str(status)}})
    if status == TaskStatus.STARTING:
        return store.list_tasks({"topic": topic}, {"limit": 1}).data[0]
    task = store.reserve_task(topic, OWNER)
    if status == TaskStatus.SNOOZED:
        task = store.snooze(task.task_id, OWNER, 60_000)
    elif status == TaskStatus.FAILED:
        task = store.fail(task.task_id, OWNER, "boom")
    elif status == TaskStatus.TERMINATED:
        task = store.terminate(task.task_id, OWNER)
    assert task.status == status
    return task


def test_extend_lease_error_order(short_store):
    store = short_store
    with pytest.raises(TaskNotFound):
        store.extend_lease("missing", OWNER)
    done = task_in(store, TaskStatus.TERMINATED, "a")
    with pytest.raises(AlreadyDone):
        store.extend_lease(done.task_id, "someone-else")
    snoozed = task_in(store, TaskStatus.SNOOZED, "b")
    with pytest.raises(InvalidStatus):
        store.extend_lease(snoozed.task_id, "someone-else")
    running = task_in(store, TaskStatus.RUNNING, "c")
    wait_past(store, running.lease_expires_at)  # the lease has ended by the store's clock
    with pytest.raises(WrongOwner):
        store.extend_lease(running.task_id, "someone-else")
    from stores import LeaseExpired

    with pytest.raises(LeaseExpired) as caught:
        store.extend_lease(running.task_id, OWNER)
    assert caught.value.code == "lease-expired"
    assert store.task(running.task_id) == running


@pytest.mark.parametrize("write", ["terminate", "fail", "snooze"])
def test_owner_check(store, write):
    running = task_in(store, TaskStatus.RUNNING)
    call = getattr(store, write)
    with pytest.raises(WrongOwner) as caught:
        call(running.task_id, "intruder")
    assert caught.value.task_id == running.task_id
    with pytest.raises(WrongOwner):
        call(running.task_id, None)
    assert store.task(running.task_id) == running
    starting = task_in(store, TaskStatus.STARTING, "s")
    if write != "snooze":
        with pytest.raises(WrongOwner):
            call(starting.task_id, "intruder")
        assert store.task(starting.task_id) == starting


@pytest.mark.parametrize("write", ["terminate", "fail"])
def test_snoozed_task_has_no_owner_check(store, write):
    snoozed = task_in(store, TaskStatus.SNOOZED)
    after = getattr(store, write)(snoozed.task_id, "anyone")
    assert after.status == {"terminate": TaskStatus.TERMINATED, "fail": TaskStatus.FAILED}[write]


def test_missing_task_errors(store):
    for call in (
        lambda: store.terminate("missing", OWNER),
        lambda: store.fail("missing", OWNER),
        lambda: store.snooze("missing", OWNER, 1000),
        lambda: store.revoke_lease("missing", 1),
    ):
        with pytest.raises(TaskNotFound) as caught:
            call()
        assert caught.value.task_id == "missing" and caught.value.code == "task-not-found"


MVCC_WRITES = {
    "terminate": lambda s, t, v: s.terminate(t.task_id, t.pid, record_ver=v),
    "fail": lambda s, t, v: s.fail(t.task_id, t.pid, "e", record_ver=v),
    "snooze": lambda s, t, v: s.snooze(t.task_id, t.pid, 1000, record_ver=v),
    "extend_lease": lambda s, t, v: s.extend_lease(t.task_id, t.pid, record_ver=v),
    "revoke_lease": lambda s, t, v: s.revoke_lease(t.task_id, v),
}


@pytest.mark.parametrize("write", list(MVCC_WRITES))
def test_stale_record_ver_changes_nothing(store, write):
    seen = task_in(store, TaskStatus.RUNNING)
    store.extend_lease(seen.task_id, OWNER)  # someone else wrote meanwhile
    current = store.task(seen.task_id)
    for stale in (seen.record_ver, current.record_ver + 5):
        with pytest.raises(TaskConcurrentlyUpdated) as caught:
            MVCC_WRITES[write](store, current, stale)
        assert caught.value.task_id == seen.task_id
        assert store.task(seen.task_id) == current
    result = MVCC_WRITES[write](store, current, current.record_ver)
    assert store.task(seen.task_id).record_ver == current.record_ver + 1
    assert result == "ok" or result.record_ver == current.record_ver + 1


def test_stale_record_ver_wins_over_status_checks(store):
    done = task_in(store, TaskStatus.TERMINATED)
    with pytest.raises(TaskConcurrentlyUpdated):
        store.fail(done.task_id, None, record_ver=done.record_ver - 1)


def test_fail_error_text(store):
    t1 = task_in(store, TaskStatus.RUNNING)
    assert store.fail(t1.task_id, OWNER).error == ""
    t2 = task_in(store, TaskStatus.RUNNING)
    message = "Traceback [bold]x[/]\n\x1b[31mred\x1b[0m " + "e" * 100_000
    assert store.fail(t2.task_id, OWNER, message).error == message
    t3 = task_in(store, TaskStatus.RUNNING)
    with pytest.raises(InvalidArgument):
        store.fail(t3.task_id, OWNER, 42)
    assert store.task(t3.task_id) == t3


@pytest.mark.parametrize("snooze_ms", [0, -1, 1.5, "5000", True, 10**20])
def test_snooze_needs_a_positive_duration(store, snooze_ms):
    running = task_in(store, TaskStatus.RUNNING)
    with pytest.raises(InvalidArgument) as caught:
        store.snooze(running.task_id, OWNER, snooze_ms)
    assert caught.value.code == "invalid-argument"
    assert store.task(running.task_id) == running


def test_snooze_default_duration(make_store):
    store = make_store(snooze_time_ms=12_345)
    running = task_in(store, TaskStatus.RUNNING)
    snoozed = store.snooze(running.task_id, OWNER)
    assert snoozed.snooze_time == 12_345
    assert snoozed.lease_expires_at - snoozed.updated_at == 12_345


@pytest.mark.parametrize("record_ver", [None, 0, "2", 1.0, True])
def test_revoke_needs_a_record_ver(store, record_ver):
    running = task_in(store, TaskStatus.RUNNING)
    with pytest.raises(InvalidArgument):
        store.revoke_lease(running.task_id, record_ver)
    assert store.task(running.task_id) == running


def test_bad_arguments(store):
    running = task_in(store, TaskStatus.RUNNING)
    for call in (
        lambda: store.reserve_task("", OWNER),
        lambda: store.reserve_task("tt", ""),
        lambda: store.reserve_task("tt", None),
        lambda: store.extend_lease(running.task_id, None),
        lambda: store.terminate("", OWNER),
        lambda: store.terminate(running.task_id, OWNER, record_ver="1"),
        lambda: store.list_leased_tasks("", {"limit": 5}),
    ):
        with pytest.raises(InvalidArgument):
            call()
    assert store.task(running.task_id) == running
