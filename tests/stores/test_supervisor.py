"""sokka's mark-and-sweep supervisor against every store."""

from __future__ import annotations

import time

from stores.supervisor import LeaseSupervisor, Mark, cleanup_leased_tasks


class FakeClock:
    """The supervisor's own clock (not the store's): we move it by hand."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def test_mark_then_sweep_revokes_only_unchanged(store):
    clock = FakeClock()
    store.create_tasks([{"topic": "sv", "data": i} for i in range(4)])
    stuck = store.reserve_task("sv", "dead-worker")
    alive = store.reserve_task("sv", "live-worker")
    napping = store.snooze(store.reserve_task("sv", "w").task_id, "w", 5_000)
    monitored: dict[str, Mark] = {}
    assert cleanup_leased_tasks(monitored, store, "sv", 1_000, clock=clock) == []
    assert set(monitored) == {stuck.task_id, alive.task_id, napping.task_id}
    clock.now += 600
    store.extend_lease(alive.task_id, "live-worker")  # a new record_ver: projection resets
    assert cleanup_leased_tasks(monitored, store, "sv", 1_000, clock=clock) == []
    clock.now += 500  # 1,100 ms after the first mark
    assert cleanup_leased_tasks(monitored, store, "sv", 1_000, clock=clock) == [stuck.task_id]
    revoked = store.task(stuck.task_id)
    assert revoked.status == "starting" and revoked.pid is None
    assert store.task(alive.task_id).status == "running"
    assert store.task(napping.task_id).status == "snoozed"  # snoozed: projected by its snooze time
    clock.now += 5_000
    revoked_later = cleanup_leased_tasks(monitored, store, "sv", 1_000, clock=clock)
    assert sorted(revoked_later) == sorted([alive.task_id, napping.task_id])
    assert monitored == {}


def test_changed_task_is_never_revoked(store):
    clock = FakeClock()
    store.create_task({"topic": "sv"})
    task = store.reserve_task("sv", "w")
    monitored: dict[str, Mark] = {}
    cleanup_leased_tasks(monitored, store, "sv", 1_000, clock=clock)
    store.terminate(task.task_id, "w")
    clock.now += 5_000
    assert cleanup_leased_tasks(monitored, store, "sv", 1_000, clock=clock) == []
    assert store.task(task.task_id).status == "terminated"
    assert monitored == {}


def test_revoke_with_stale_version_is_skipped(store):
    clock = FakeClock()
    store.create_task({"topic": "sv"})
    task = store.reserve_task("sv", "w")
    monitored = {task.task_id: Mark(task.record_ver - 1, clock.now - 1)}  # remembered an old version
    # the mark phase sees the new version first and re-projects, so nothing is revoked
    assert cleanup_leased_tasks(monitored, store, "sv", 1_000, clock=clock) == []
    assert store.task(task.task_id) == task


def test_supervisor_thread(short_store):
    store = short_store
    store.create_task({"topic": "sv"})
    task = store.reserve_task("sv", "crashed")
    supervisor = LeaseSupervisor(store, "sv", 300)
    supervisor.start(50)
    try:
        deadline = time.monotonic() + 5
        while store.task(task.task_id).status != "starting" and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        supervisor.stop()
    assert store.task(task.task_id).status == "starting"
