"""Lease expiry and snooze wake by the store's clock; list_leased_tasks; topics; now_ms."""

from __future__ import annotations

import time

import pytest

from stores import TaskStatus, WrongOwner, scroll
from tests.stores.clock import SHORT_LEASE_MS, wait_past


def test_expired_lease_is_reserved_again(short_store):
    store = short_store
    task = store.create_task({"topic": "l"})
    first = store.reserve_task("l", "w1")
    assert first.lease_expires_at - first.updated_at == SHORT_LEASE_MS
    assert store.reserve_task("l", "w2") is None  # lease still valid
    wait_past(store, first.lease_expires_at)
    second = store.reserve_task("l", "w2")
    assert (second.task_id, second.pid, second.record_ver) == (task.task_id, "w2", 3)
    with pytest.raises(WrongOwner):  # the first owner lost the lease and must not terminate
        store.terminate(task.task_id, "w1")
    assert store.terminate(task.task_id, "w2").status == "terminated"


def test_extend_keeps_the_lease(short_store):
    store = short_store
    store.create_task({"topic": "l"})
    task = store.reserve_task("l", "w1")
    renewals = 0
    # Renewed every quarter lease until well past the end of the lease the
    # reservation granted: still held all along.
    while store.now_ms() <= task.lease_expires_at + SHORT_LEASE_MS // 4:
        time.sleep(SHORT_LEASE_MS / 4 / 1000)
        assert store.extend_lease(task.task_id, "w1") == "ok"
        renewals += 1
        assert store.reserve_task("l", "w2") is None
    assert renewals >= 4
    extended = store.task(task.task_id)
    assert extended.lease_expires_at - extended.updated_at == SHORT_LEASE_MS
    assert extended.record_ver == task.record_ver + renewals


def test_snoozed_task_wakes_by_the_store_clock(store):
    store.create_task({"topic": "l"})
    task = store.reserve_task("l", "w1")
    snoozed = store.snooze(task.task_id, "w1", SHORT_LEASE_MS)
    assert store.reserve_task("l", "w2") is None
    wait_past(store, snoozed.lease_expires_at)
    woken = store.reserve_task("l", "w2")
    assert woken.task_id == task.task_id and woken.status == "running" and woken.snooze_time == SHORT_LEASE_MS


def test_reserve_is_fifo_by_created_at(store):
    ids = []
    for i in range(5):
        ids.append(store.create_task({"topic": "fifo", "data": i}).task_id)
        time.sleep(0.002)
    store.create_task({"topic": "elsewhere"})
    assert [store.reserve_task("fifo", "w").task_id for _ in range(5)] == ids
    assert store.reserve_task("fifo", "w") is None
    assert store.reserve_task("no-such-topic", "w") is None


def test_list_leased_tasks_soonest_first_paged(store):
    for i in range(12):
        store.create_task({"topic": "a" if i % 2 else "b", "data": i})
    leased = []
    for topic in ("a", "b"):
        while (task := store.reserve_task(topic, "w")) is not None:
            leased.append(task)
    for task in leased[:4]:
        store.snooze(task.task_id, "w", 1_000 + len(task.task_id))
    store.terminate(leased[5].task_id, "w")
    store.create_task({"topic": "a"})  # starting: not leased

    def keys(tasks):
        return [(t.lease_expires_at, t.task_id) for t in tasks]

    everything = list(scroll(lambda c: store.list_leased_tasks(None, c), {"limit": 3}))
    assert len(everything) == 11
    assert keys(everything) == sorted(keys(everything))
    assert {t.status for t in everything} == {TaskStatus.RUNNING, TaskStatus.SNOOZED}
    only_a = list(scroll(lambda c: store.list_leased_tasks("a", c), {"limit": 2}))
    assert {t.topic for t in only_a} == {"a"} and len(only_a) == 5
    assert keys(only_a) == sorted(keys(only_a))
    assert store.list_leased_tasks("zzz", {"limit": 5}).data == []
    first = store.list_leased_tasks(None, {"limit": 4})
    assert first.data[:4] == [store.task(t.task_id) for t in everything[:4]]


def test_topics_stats(short_store):
    store = short_store
    assert store.topics() == []
    created = store.create_tasks([{"topic": "q", "data": i} for i in range(6)] + [{"topic": "p"}])
    time.sleep(0.002)
    oldest_starting = created[3].created_at
    one = store.reserve_task("q", "w")
    two = store.reserve_task("q", "w")
    three = store.reserve_task("q", "w")
    store.terminate(one.task_id, "w")
    store.fail(two.task_id, "w", "x")
    stats = {s.topic: s for s in store.topics()}
    assert list(stats) == ["p", "q"]
    q = stats["q"]
    assert dict(q.counts) == {
        TaskStatus.STARTING: 3, TaskStatus.RUNNING: 1, TaskStatus.SNOOZED: 0,
        TaskStatus.FAILED: 1, TaskStatus.TERMINATED: 1,
    }
    assert q.expired_leases == 0
    assert q.oldest_starting_at == oldest_starting
    wait_past(store, three.lease_expires_at)
    assert {s.topic: s.expired_leases for s in store.topics()} == {"p": 0, "q": 1}
    p = {s.topic: s for s in store.topics()}["p"]
    assert p.counts[TaskStatus.STARTING] == 1 and sum(p.counts.values()) == 1
    assert set(p.counts) == set(TaskStatus)


def test_topics_oldest_starting_clears(store):
    store.create_task({"topic": "solo"})
    task = store.reserve_task("solo", "w")
    store.terminate(task.task_id, "w")
    (solo,) = store.topics()
    assert solo.oldest_starting_at is None and solo.counts[TaskStatus.TERMINATED] == 1


def test_now_ms_is_the_store_clock(store):
    local = time.time() * 1000
    remote = store.now_ms()
    assert isinstance(remote, int)
    assert abs(remote - local) < 5_000
