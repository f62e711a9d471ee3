"""Store throughput: creating tasks one by one and in bulk, and reserve→terminate
cycles from 1 and 4 worker processes, each against its reference."""

from __future__ import annotations

import time
from collections.abc import Callable

from bench import procs, references
from bench.backends import Backend
from bench.table import Row, Target, ratio_row, value_row
from stores import TaskStatus, scroll

BULK_TARGET = Target("value", ">=", 20_000, " tasks/s")
#: The old targets of the cycle rows against their references (issue 5), kept to size the
#: runs (tasks for about ``seconds`` of work); issue 15 judges the store against its floor.
CYCLE_TARGETS = {"postgres": 0.35, "redis": 0.35, "sqlite": 0.20}
REFERENCE_NAMES = {"postgres": "pgbench UPDATE", "redis": "EVALSHA loop", "sqlite": "UPDATE loop"}


def new_tasks(topic: str, n: int, start: int = 0) -> list[dict]:
    return [{"topic": topic, "data": {"n": i}} for i in range(start, start + n)]


def create_rates(backend: Backend, one_by_one: int, bulk: int, reps: int) -> list[Row]:
    """create_task per second (one by one) and create_tasks per second (bulk)."""
    ones, bulks = [], []
    with backend.open(backend.namespace("create")) as store:
        for rep in range(reps):
            tasks = new_tasks(f"one-{rep}", one_by_one)
            t0 = time.perf_counter()
            for task in tasks:
                store.create_task(task)
            ones.append(one_by_one / (time.perf_counter() - t0))
            tasks = new_tasks(f"bulk-{rep}", bulk)
            t0 = time.perf_counter()
            store.create_tasks(tasks)
            bulks.append(bulk / (time.perf_counter() - t0))
    return [
        value_row("create_task, one by one", backend.name, "tasks/s", ones, None, f"{one_by_one} tasks"),
        value_row("create_tasks, bulk", backend.name, "tasks/s", bulks, BULK_TARGET, f"{bulk} tasks, batches of 1000"),
    ]


def store_cycles(url: str, namespace: str, topic: str, pid: str) -> tuple[Callable[[], bool], Callable[[], None]]:
    """A worker's reserve→terminate cycle through the store's public methods:
    ``(step, close)``; ``step()`` runs one cycle, ``False`` when nothing was left."""
    from stores import open_store

    store = open_store(url, namespace=namespace)
    reserve, terminate = store.reserve_task, store.terminate
    store.now_ms()  # warm the connection

    def step() -> bool:
        task = reserve(topic, pid)
        if task is None:
            return False
        terminate(task.task_id, pid)
        return True

    return step, store.close


def _cycle_worker(ready, url: str, namespace: str, topic: str, pid: str) -> int:
    step, close = store_cycles(url, namespace, topic, pid)
    ready()
    done = 0
    while step():
        done += 1
    close()
    return done


def verify_all_terminated_once(store, topic: str, expected: int, done: int) -> None:
    """Every task of ``topic`` terminated, exactly once: status, version 3 (create,
    reserve, terminate), the count, and the workers' own tally."""
    seen = set()
    for task in scroll(lambda cursor: store.list_tasks({"topic": topic}, cursor), {"limit": 1000}):
        if task.status != TaskStatus.TERMINATED or task.record_ver != 3 or task.pid is not None:
            raise AssertionError(f"task {task.task_id} ended {task.status} at version {task.record_ver}")
        if task.task_id in seen:
            raise AssertionError(f"task {task.task_id} listed twice")
        seen.add(task.task_id)
    if len(seen) != expected or done != expected:
        raise AssertionError(f"{expected} tasks created, {len(seen)} terminated, workers counted {done}")
    counts = next(s.counts for s in store.topics() if s.topic == topic)
    if counts[TaskStatus.TERMINATED] != expected or sum(counts.values()) != expected:
        raise AssertionError(f"topic counts disagree: {dict(counts)}")


def reference_rate(backend: Backend, processes: int, seconds: float, ref: dict) -> float:
    if backend.name == "postgres":
        if "schema" not in ref:
            ref["schema"] = references.prepare_pgbench(backend)
        return references.pgbench_tps(backend, ref["schema"], processes, seconds)
    if backend.name == "redis":
        return references.evalsha_rate(backend, processes, seconds)
    if "path" not in ref:
        ref["path"] = references.prepare_sqlite(backend)
    return references.sqlite_update_rate(ref["path"], processes, seconds)


def cycle_rates(backend: Backend, workers: int, reps: int, seconds: float, checks: list[str]) -> Row:
    """Reserve→terminate cycles per second from ``workers`` processes, against the reference."""
    namespace = backend.namespace("cycles")
    pairs = []
    ref: dict = {}
    with backend.open(namespace) as store:
        for rep in range(reps):
            reference = reference_rate(backend, workers, seconds, ref)
            # Enough tasks for about ``seconds`` of work at the target ratio.
            n = max(40 * workers, int(reference * CYCLE_TARGETS[backend.name] * seconds))
            topic = f"cycles-{workers}w-{rep}"
            for start in range(0, n, 10_000):
                store.create_tasks(new_tasks(topic, min(10_000, n - start), start))
            done, elapsed = procs.run(
                _cycle_worker, [(backend.url, namespace, topic, f"bench-{w}") for w in range(workers)]
            )
            verify_all_terminated_once(store, topic, n, done)
            checks.append(f"{backend.name}: {n} tasks, {workers} worker(s): each terminated exactly once")
            pairs.append((done / elapsed, reference))
    plural = "es" if workers > 1 else ""
    # No target: issue 15 replaced it with the store against its own floor (bench.floors.floor_rows).
    return ratio_row(f"reserve→terminate, {workers} process{plural}", backend.name, "cycles/s", pairs, None,
                     f"reference: {REFERENCE_NAMES[backend.name]} x{workers}")
