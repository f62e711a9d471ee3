"""Load a store with a realistic console-sized dataset, quickly, through the protocol.

``python -m bench.seed URL --tasks 1000000 [--namespace NS]``

20 topics (4 sub-topics each); per topic:

- created with ``create_tasks`` (batches of 1,000, one round trip each);
- 150 reserved with ``reserve_task`` (the protocol's own call) under lease
  times spread from 1 to 10 minutes, 15 of them with a 1 ms lease, so they are
  expired by the time anyone looks; 100 more reserved and then snoozed with
  ``apply_bulk("snooze")`` for 1 to 10 minutes;
- 2.5% failed and all the rest but 250 terminated with ``apply_bulk`` (the
  console's MVCC-checked bulk write: one statement per 500 tasks on
  PostgreSQL, one transaction per 500 on SQLite, a script per topic per chunk on Redis),
  acting on the versions ``create_tasks`` returned;
- 250 left ``starting``.

Every task is written only through the store's public methods, so every
counter, index and trigger is exercised as in production.
"""

from __future__ import annotations

import argparse
import itertools
import multiprocessing
import sys
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

from stores import open_store
from stores.bulk import BulkItem

TOPICS = 20
SUB_TOPICS = ("default", "email", "billing", "reports")
RUNNING_PER_TOPIC = 150
EXPIRED_PER_TOPIC = 15
SNOOZED_PER_TOPIC = 100
STARTING_PER_TOPIC = 250
FAILED_SHARE = 0.025
CREATE_CHUNK = 10_000
BULK_CALL = 5_000  # items per apply_bulk call (it writes 500 at a time)
#: Seeding writes from several threads and processes: wait for locks longer than a console would.
SEED_TIMEOUT_S = 120


def topic_name(i: int) -> str:
    return f"topic-{i:02d}"


def seed(url: str, namespace: str, tasks: int, threads: int = 4, processes: int = 4, log=print) -> dict:
    """Fill ``namespace`` at ``url``; return what was made (counts and seconds).

    Below 100,000 tasks the running, snoozed and starting counts shrink in
    proportion (a smoke run seeds a few thousand)."""
    per_topic = tasks // TOPICS
    scale = min(1.0, per_topic / 5_000)
    running, snoozed = max(2, int(RUNNING_PER_TOPIC * scale)), max(1, int(SNOOZED_PER_TOPIC * scale))
    expired, starting = max(1, int(EXPIRED_PER_TOPIC * scale)), max(1, int(STARTING_PER_TOPIC * scale))
    t_start = time.perf_counter()
    ids: dict[str, list[str]] = {}
    if url.startswith("sqlite:"):
        processes = 1  # one writer at a time anyway; more would only queue on the lock
    with open_store(url, namespace=namespace, timeout=SEED_TIMEOUT_S) as store:
        made = 0
        for t in range(TOPICS):
            topic = topic_name(t)
            ids[topic] = []
            for start in range(0, per_topic, CREATE_CHUNK):
                batch = [
                    {"topic": topic, "sub_topic": SUB_TOPICS[i % len(SUB_TOPICS)],
                     "task_description": f"job {i} of {topic}" if i % 3 == 0 else None,
                     "data": {"n": i, "kind": "seed"}}
                    for i in range(start, min(per_topic, start + CREATE_CHUNK))
                ]
                ids[topic].extend(task.task_id for task in store.create_tasks(batch))
            made += len(ids[topic])
        created_s = time.perf_counter() - t_start
        log(f"created {made:,} tasks in {created_s:.1f} s ({made / created_s:,.0f}/s)")

        t0 = time.perf_counter()
        leased = _reserve_all(url, namespace, threads, running, snoozed, expired)
        snoozes = [(topic, task) for topic, tasks_ in leased.items() for task in tasks_[running:]]
        for n, group in enumerate(_chunks(snoozes, 20)):
            store.apply_bulk("snooze", [BulkItem(t.task_id, t.record_ver, t.pid) for _, t in group],
                             snooze_ms=60_000 * (1 + n % 10))
        reserve_s = time.perf_counter() - t0
        log(f"reserved {sum(map(len, leased.values())):,} tasks, snoozed {len(snoozes):,} in {reserve_s:.1f} s")

        t0 = time.perf_counter()
        failed_per_topic = int(per_topic * FAILED_SHARE)
        jobs = []
        for topic, topic_ids in ids.items():
            taken = {task.task_id for task in leased[topic]}
            rest = [task_id for task_id in topic_ids if task_id not in taken][:-starting]
            failing, terminating = rest[:failed_per_topic], rest[failed_per_topic:]
            jobs += [("fail", chunk) for chunk in _chunks(failing, BULK_CALL)]
            jobs += [("terminate", chunk) for chunk in _chunks(terminating, BULK_CALL)]

        # Separate processes: a thread pool would share one interpreter lock,
        # and the client side is what limits Redis and SQLite here.
        groups = [jobs[i::processes] for i in range(processes)]
        with ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("spawn")) as pool:
            finished = sum(pool.map(_finish, [(url, namespace, group) for group in groups]))
        finish_s = time.perf_counter() - t0
        log(f"failed/terminated {finished:,} tasks in {finish_s:.1f} s ({finished / finish_s:,.0f}/s)")
    if url.startswith(("postgresql:", "postgres:")):
        t0 = time.perf_counter()
        _vacuum_postgres(url, namespace)
        log(f"VACUUM (ANALYZE) of the namespace's tables in {time.perf_counter() - t0:.1f} s")
    total_s = time.perf_counter() - t_start
    return {"tasks": made, "created_s": created_s, "reserve_s": reserve_s, "finish_s": finish_s, "total_s": total_s}


def _vacuum_postgres(url: str, namespace: str) -> None:
    """What an operator does after a bulk load: the seed leaves a dead row version
    (and its index entries) behind for every task it finished, and statistics
    taken while every task was still starting. Until autovacuum gets there, reads
    step over the dead entries and plan with the stale statistics."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(url, autocommit=True) as conn:
        tables = [row[0] for row in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = %s ORDER BY tablename", (namespace,))]
        if tables:
            conn.execute(sql.SQL("VACUUM (ANALYZE) {}").format(
                sql.SQL(", ").join(sql.Identifier(namespace, table) for table in tables)))


def _finish(work: tuple[str, str, list]) -> int:
    """Fail or terminate chunks of still-``starting`` tasks with ``apply_bulk`` (a worker process)."""
    url, namespace, jobs = work
    done = 0
    with open_store(url, namespace=namespace, timeout=SEED_TIMEOUT_S) as store:
        for action, chunk in jobs:
            results = store.apply_bulk(action, [BulkItem(task_id, 1, None) for task_id in chunk],
                                       error="seeded failure")
            missed = [r for r in results if r.outcome != "done"]
            if missed:
                raise RuntimeError(f"seeding {action} missed {len(missed)} tasks: {missed[0]}")
            done += len(results)
    return done


def _chunks(items: list, size: int):
    it = iter(items)
    while chunk := list(itertools.islice(it, size)):
        yield chunk


def _reserve_all(
    url: str, namespace: str, threads: int, running: int, snoozed: int, expired: int
) -> dict[str, list]:
    """Reserve the oldest RUNNING + SNOOZED tasks of each topic with ``reserve_task``,
    under leases spread over 1 to 10 minutes (and 1 ms for the expired ones)."""
    stores = {ms: open_store(url, namespace=namespace, lease_time_ms=ms, timeout=SEED_TIMEOUT_S)
              for ms in (1, *(60_000 * k for k in range(1, 11)))}
    try:
        def reserve_topic(t: int) -> tuple[str, list]:
            topic, got = topic_name(t), []
            for i in range(running + snoozed):
                lease_ms = 1 if i < expired else 60_000 * (1 + i % 10)
                task = stores[lease_ms].reserve_task(topic, f"seed-worker-{t}-{i % 7}")
                if task is None:
                    raise RuntimeError(f"{topic} ran out of tasks to reserve")
                got.append(task)
            return topic, got

        with ThreadPoolExecutor(threads) as pool:
            return dict(pool.map(reserve_topic, range(TOPICS)))
    finally:
        for store in stores.values():
            store.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.seed", description=__doc__.split("\n\n")[0])
    parser.add_argument("url", help="store URL, e.g. sqlite:///tmp/big.db or postgresql://...")
    parser.add_argument("--tasks", type=int, default=1_000_000)
    parser.add_argument("--namespace", default="bench_seed")
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args(argv)
    result = seed(args.url, args.namespace, args.tasks, args.threads)
    print(f"seeded {result['tasks']:,} tasks into namespace {args.namespace!r} in {result['total_s']:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
