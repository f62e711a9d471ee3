"""Six processes reserving and terminating 1,000 tasks of one topic, on each backend.

Afterwards every task was terminated exactly once, and no task was ever handed
to two reservers while its lease was valid (leases here outlast the test, so
any second reservation would be a double lease)."""

from __future__ import annotations

import multiprocessing
import time

import stores

TASKS = 1_000
PROCESSES = 6


def reserve_and_terminate(url: str, namespace: str, pid: str, queue, start) -> None:
    taken = []
    with stores.open_store(url, namespace=namespace, lease_time_ms=600_000) as store:
        store.now_ms()  # connected
        # All start together: a process up first could otherwise drain the
        # topic (a second of work) before the others have even started.
        start.wait(timeout=120)
        empty_polls = 0
        while empty_polls < 3:
            task = store.reserve_task("race", pid)
            if task is None:
                # SKIP LOCKED may pass over rows others hold: re-check before leaving
                empty_polls += 1
                time.sleep(0.01)
                continue
            empty_polls = 0
            taken.append((task.task_id, task.record_ver, task.pid))
            store.terminate(task.task_id, pid)
    queue.put(taken)


def test_concurrent_reservers(make_store, store_url):
    store = make_store()
    store.create_tasks([{"topic": "race", "data": i} for i in range(TASKS)])
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    start = context.Barrier(PROCESSES)
    workers = [
        context.Process(target=reserve_and_terminate, args=(store_url, store.namespace, f"p{i}", queue, start))
        for i in range(PROCESSES)
    ]
    for worker in workers:
        worker.start()
    results = [queue.get(timeout=240) for _ in workers]
    for worker in workers:
        worker.join(timeout=30)
        assert worker.exitcode == 0
    reservations = [item for taken in results for item in taken]
    ids = [task_id for task_id, _, _ in reservations]
    assert len(ids) == len(set(ids)) == TASKS, "a task was reserved twice while leased"
    assert all(ver == 2 for _, ver, _ in reservations)
    assert sum(1 for taken in results if taken) >= 2, "the work was not shared at all"
    final = list(stores.scroll(lambda c: store.list_tasks({"topic": "race"}, c), {"limit": 500}))
    assert len(final) == TASKS
    assert all(t.status == "terminated" and t.record_ver == 3 and t.pid is None for t in final)
    (stats,) = store.topics()
    assert stats.counts["terminated"] == TASKS and sum(stats.counts.values()) == TASKS
