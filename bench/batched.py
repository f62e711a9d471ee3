"""The batched drain (issue 15 §3): ``Worker(..., concurrency=C, prefetch=P)``
draining no-op tasks from 4 processes, against the unbatched store's drain
(``reserve_task`` then ``terminate``, ``bench.peers.drain_sokka``) on the same
run, interleaved repetition by repetition; target >= 1.5 x. On PostgreSQL
also against pgqueuer draining with a batch of the same size (``batch_size``
= C + P), target: ahead.

Each worker process runs a real ``stores.worker.Worker`` (reserve_tasks,
handler threads, terminate_many) and stops (flushing its last
acknowledgements) once every task's handler ran, by a count the processes
share; the figure is tasks/s from the common start to the last
stop (``bench.procs``), and every task is checked terminated exactly once.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

from bench import peers, procs
from bench.backends import Backend
from bench.table import Row, Target, ratio_row
from bench.throughput import new_tasks, verify_all_terminated_once

CONCURRENCY = 4
PREFETCH = 60
PROCESSES = 4
FLOOR = Target("ratio", ">=", 1.5)


def _batched_worker(ready: Callable[[], None], url: str, namespace: str, topic: str, pid: str, jobs: int,
                    started: Any) -> int:
    from stores import open_store
    from stores.worker import Worker

    store = open_store(url, namespace=namespace)
    done = [0]

    def handler(task: object) -> None:
        with started.get_lock():
            started.value += 1
            done[0] += 1

    store.now_ms()  # warm the connection
    worker = Worker(store, topic, handler, pid=pid, concurrency=CONCURRENCY, prefetch=PREFETCH,
                    max_poll_interval_ms=20, identity_check_interval_s=3600)
    ready()
    worker.start()
    # Every task's handler ran (a count shared by the processes: no store
    # read); stop() then flushes this worker's last acknowledgements.
    while started.value < jobs:
        time.sleep(0.005)
    worker.stop()
    store.close()
    return done[0]


def drain_batched(backend: Backend, jobs: int, processes: int, tag: str) -> float:
    """Tasks/s of the batched worker's drain (each task checked after)."""
    namespace = backend.namespace("peers")
    topic = f"batched-{processes}p-{tag}"
    with backend.open(namespace) as store:
        store.create_tasks(new_tasks(topic, jobs))
        started = procs.shared_counter()
        done, elapsed = procs.run(
            _batched_worker,
            [(backend.url, namespace, topic, f"batched-{w}", jobs, started) for w in range(processes)],
        )
        verify_all_terminated_once(store, topic, jobs, done)
    return done / elapsed


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load {one:.2f} {five:.2f} {fifteen:.2f}"


def rows(backend: Backend, jobs: int, reps: int, log: Callable[[str], None], with_peers: bool) -> list[Row]:
    """The batched drain against the unbatched store (and pgqueuer batched, on
    PostgreSQL with ``with_peers`` and pgqueuer installed), 4 processes,
    interleaved, medians of ``reps``; the load average at each figure is logged
    and noted."""
    batch = CONCURRENCY + PREFETCH
    pgqueuer = with_peers and backend.name == "postgres" and not peers.missing("postgres")
    database = peers.PeerDatabase(backend.url) if pgqueuer else None
    url = database.__enter__().url if database is not None else backend.url
    vs_store, vs_pgqueuer, loads = [], [], []
    try:
        for rep in range(reps):
            loads.append(os.getloadavg()[0])
            log(f"[{backend.name}] drain of {jobs:,} tasks, {PROCESSES} processes: unbatched ({_load()})")
            single = peers.drain_sokka(backend, jobs, PROCESSES, f"unbatched-{rep}")
            log(f"[{backend.name}]   batched, concurrency {CONCURRENCY}, prefetch {PREFETCH} ({_load()})")
            batched = drain_batched(backend, jobs, PROCESSES, f"b-{rep}")
            vs_store.append((batched, single))
            if database is not None:
                log(f"[{backend.name}]   pgqueuer, batch_size {batch} ({_load()})")
                theirs = peers.drain_pgqueuer(url, jobs, PROCESSES, rep, batch_size=batch)
                vs_pgqueuer.append((batched, theirs))
            log(f"[{backend.name}]   {batched:,.0f} vs {single:,.0f} tasks/s unbatched"
                + (f", {vs_pgqueuer[-1][1]:,.0f} pgqueuer" if vs_pgqueuer else ""))
    finally:
        if database is not None:
            database.__exit__(None, None, None)
    load = f"load avg (1 min) {min(loads):.1f}-{max(loads):.1f}"
    out = [ratio_row(
        f"batched drain (concurrency {CONCURRENCY}, prefetch {PREFETCH}), {PROCESSES} processes", backend.name,
        "tasks/s", vs_store, FLOOR, f"reference: the unbatched store's drain x{PROCESSES}, {jobs:,} tasks; {load}",
    )]
    if vs_pgqueuer:
        out.append(ratio_row(
            f"batched drain vs pgqueuer (batch_size {batch}), {PROCESSES} processes", backend.name, "jobs/s",
            vs_pgqueuer, peers.AHEAD,
            f"reference: pgqueuer {peers._version('pgqueuer')} x{PROCESSES}, {jobs:,} no-op jobs; {load}",
        ))
    return out
