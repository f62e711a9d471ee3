"""``python -m bench --parts peers``: the same drain of no-op tasks through this
store and through its peers, side by side, on the same servers, in one run.

PostgreSQL: sokka's store against procrastinate and pgqueuer (its psycopg
driver, one job a fetch: the unbatched figure). Redis: against RQ's
``SimpleWorker``. Each drain puts ``jobs`` no-op jobs in a queue of its own,
then starts 1 or 4 worker processes together (``bench.procs``) through the
peer's public API, in the mode that stops when the queue is empty, and counts
jobs finished per second from the common start to the last finish. Ours is the
store's own cycle: ``reserve_task`` (a lease) then ``terminate`` (an owner and
state check), as every worker does; nothing skips a check.

The peers are not dependencies: ``pip install -e '.[bench]'`` brings them. This
part installs nothing; without them it is skipped with one line. Every peer's
data lives where only this run looks: the PostgreSQL peers in a database made
for the run (``bench_peers_<run>``, dropped at the end), RQ in queues named for
the run, whose jobs and registries are deleted at the end.

Each row's reference is the peer's jobs/s, its ratio ours ÷ theirs, its
target ``>= 1`` (ahead).
"""

from __future__ import annotations

import asyncio
import importlib.metadata
import importlib.util
from collections.abc import Callable

from bench import procs
from bench.backends import RUN_ID, Backend
from bench.table import Row, Target, ratio_row
from bench.throughput import _cycle_worker, new_tasks, verify_all_terminated_once

#: The peers of each backend, by package name.
PEERS = {"postgres": ("procrastinate", "pgqueuer"), "redis": ("rq",)}
AHEAD = Target("ratio", ">=", 1.0)
#: Where RQ finds the job it runs (a module the worker process imports).
RQ_JOB = "bench.peer_jobs.noop"


def missing(backend: str) -> list[str]:
    """The peers of ``backend`` that are not importable here."""
    return [name for name in PEERS.get(backend, ()) if importlib.util.find_spec(name) is None]


def _version(package: str) -> str:
    return importlib.metadata.version(package)


# -- ours ------------------------------------------------------------------------------
def drain_sokka(backend: Backend, jobs: int, processes: int, tag: str) -> float:
    """Jobs/s of the store's reserve→terminate drain (each task checked after)."""
    namespace = backend.namespace("peers")
    topic = f"drain-{processes}p-{tag}"
    with backend.open(namespace) as store:
        store.create_tasks(new_tasks(topic, jobs))
        done, elapsed = procs.run(
            _cycle_worker, [(backend.url, namespace, topic, f"drain-{w}") for w in range(processes)]
        )
        verify_all_terminated_once(store, topic, jobs, done)
    return done / elapsed


# -- PostgreSQL peers ----------------------------------------------------------------
class PeerDatabase:
    """A database of its own for the PostgreSQL peers (they install into ``public``)."""

    def __init__(self, url: str) -> None:
        from psycopg import conninfo as pg_conninfo

        self.admin_url = url
        self.name = f"bench_peers_{RUN_ID}"
        self.url = pg_conninfo.make_conninfo(url, dbname=self.name)

    def __enter__(self) -> PeerDatabase:
        import psycopg
        from psycopg import sql

        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.name)))
        return self

    def __exit__(self, *exc: object) -> None:
        import psycopg
        from psycopg import sql

        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(self.name)))


def _procrastinate_app(url: str):
    from procrastinate import App, PsycopgConnector

    return App(connector=PsycopgConnector(conninfo=url))


def _procrastinate_worker(ready: Callable[[], None], url: str, queue: str) -> int:
    app = _procrastinate_app(url)
    done = [0]

    @app.task(name="noop", queue=queue)
    async def noop() -> None:
        done[0] += 1

    async def work() -> None:
        async with app.open_async():
            ready()
            await app.run_worker_async(
                queues=[queue], wait=False, concurrency=1, install_signal_handlers=False, listen_notify=False,
            )

    asyncio.run(work())
    return done[0]


def drain_procrastinate(url: str, jobs: int, processes: int, rep: int) -> float:
    queue = f"drain-{processes}p-{rep}"
    app = _procrastinate_app(url)

    @app.task(name="noop", queue=queue)
    async def noop() -> None:
        return None

    async def prepare() -> None:
        async with app.open_async():
            if rep == 0 and processes == 1:
                await app.schema_manager.apply_schema_async()
            for start in range(0, jobs, 1000):
                await noop.batch_defer_async(*[{} for _ in range(min(1000, jobs - start))])

    asyncio.run(prepare())
    done, elapsed = procs.run(_procrastinate_worker, [(url, queue) for _ in range(processes)])
    _check_count("procrastinate", done, jobs, _scalar(
        url, "SELECT count(*) FROM procrastinate_jobs WHERE queue_name = %s AND status = 'succeeded'", queue))
    return done / elapsed


def _pgqueuer_worker(ready: Callable[[], None], url: str, entrypoint: str, batch_size: int) -> int:
    done = [0]

    async def work() -> None:
        import psycopg
        from pgqueuer import PgQueuer
        from pgqueuer.types import QueueExecutionMode

        connection = await psycopg.AsyncConnection.connect(url, autocommit=True)
        pgq = PgQueuer.from_psycopg_connection(connection)

        @pgq.entrypoint(entrypoint)
        async def noop(job: object) -> None:
            done[0] += 1

        ready()
        await pgq.run(mode=QueueExecutionMode.drain, batch_size=batch_size)

    asyncio.run(work())
    return done[0]


def drain_pgqueuer(url: str, jobs: int, processes: int, rep: int, batch_size: int = 1) -> float:
    entrypoint = f"drain_{processes}p_{rep}_b{batch_size}"

    async def prepare() -> None:
        import psycopg
        from pgqueuer import Queries
        from pgqueuer.db import PsycopgDriver

        async with await psycopg.AsyncConnection.connect(url, autocommit=True) as connection:
            queries = Queries(PsycopgDriver(connection))
            if not await queries.has_table("pgqueuer"):
                await queries.install()
            for start in range(0, jobs, 1000):
                n = min(1000, jobs - start)
                await queries.enqueue([entrypoint] * n, [None] * n, [0] * n)

    asyncio.run(prepare())
    done, elapsed = procs.run(_pgqueuer_worker, [(url, entrypoint, batch_size) for _ in range(processes)])
    _check_count("pgqueuer", done, jobs, jobs - _scalar(
        url, "SELECT count(*) FROM pgqueuer WHERE entrypoint = %s", entrypoint))
    return done / elapsed


def _scalar(url: str, query: str, *params: object) -> int:
    import psycopg

    with psycopg.connect(url) as conn:
        row = conn.execute(query, params).fetchone()
    assert row is not None
    return int(row[0])


def _check_count(peer: str, done: int, jobs: int, recorded: int) -> None:
    if done != jobs or recorded != jobs:
        raise AssertionError(f"{peer}: {jobs} jobs queued, workers ran {done}, the queue recorded {recorded} done")


# -- Redis peer -----------------------------------------------------------------------
def _rq_worker(ready: Callable[[], None], url: str, queue: str) -> int:
    from redis import Redis
    from rq import Queue, SimpleWorker

    from bench import peer_jobs

    connection = Redis.from_url(url)
    worker = SimpleWorker([Queue(queue, connection=connection)], connection=connection)
    ready()
    worker.work(burst=True, logging_level="WARNING")
    return peer_jobs.done


def drain_rq(url: str, jobs: int, processes: int, rep: int) -> float:
    from redis import Redis
    from rq import Queue

    connection = Redis.from_url(url)
    queue = Queue(f"sokka-bench-{RUN_ID}-{processes}p-{rep}", connection=connection)
    ids: list[str] = []
    try:
        for start in range(0, jobs, 1000):
            batch = [Queue.prepare_data(RQ_JOB) for _ in range(min(1000, jobs - start))]
            ids += [job.id for job in queue.enqueue_many(batch)]
        done, elapsed = procs.run(_rq_worker, [(url, queue.name) for _ in range(processes)])
        _check_count("rq", done, jobs, queue.finished_job_registry.count)
        return done / elapsed
    finally:
        _delete_rq_queue(connection, queue, ids)


def _delete_rq_queue(connection, queue, ids: list[str]) -> None:
    """The run's RQ jobs, its queue and its registries: nothing else."""
    for start in range(0, len(ids), 1000):
        connection.delete(*[f"rq:job:{job_id}" for job_id in ids[start:start + 1000]])
        connection.delete(*[f"rq:results:{job_id}" for job_id in ids[start:start + 1000]])
    for registry in (queue.finished_job_registry, queue.failed_job_registry, queue.started_job_registry,
                     queue.deferred_job_registry, queue.scheduled_job_registry, queue.canceled_job_registry):
        connection.delete(registry.key)
    queue.delete(delete_jobs=False)
    # RQ's own per-queue keys (e.g. ``:intermediate:first_seen:<job>``), by the run's queue name.
    doomed = list(connection.scan_iter(match=f"{queue.key}:*", count=1000))
    for start in range(0, len(doomed), 1000):
        connection.delete(*doomed[start:start + 1000])


# -- the rows -------------------------------------------------------------------------
#: Each peer's drain: (the URL of its server, jobs, processes, repetition) -> jobs/s.
DRAINS: dict[str, Callable[[str, int, int, int], float]] = {
    "procrastinate": drain_procrastinate, "pgqueuer": drain_pgqueuer, "rq": drain_rq,
}
#: How the table names each peer.
LABELS = {"procrastinate": "procrastinate", "pgqueuer": "pgqueuer (psycopg, 1 job a fetch)", "rq": "RQ SimpleWorker"}


def rows(backend: Backend, jobs: int, reps: int, log: Callable[[str], None]) -> list[Row]:
    """Ours against each peer of ``backend``, 1 and 4 processes, medians of ``reps``."""
    names = PEERS.get(backend.name, ())
    if not names:
        return []
    absent = missing(backend.name)
    if absent:
        log(f"[{backend.name}] peers skipped: {', '.join(absent)} not installed (pip install -e '.[bench]')")
        return []
    out: list[Row] = []
    database = PeerDatabase(backend.url) if backend.name == "postgres" else None
    url = database.__enter__().url if database is not None else backend.url
    try:
        for processes in (1, 4):
            for peer in names:
                pairs = []
                for rep in range(reps):
                    log(f"[{backend.name}] drain of {jobs:,} jobs, {processes} process(es): sokka vs {peer}")
                    ours = drain_sokka(backend, jobs, processes, f"{peer}-{rep}")
                    pairs.append((ours, DRAINS[peer](url, jobs, processes, rep)))
                plural = "es" if processes > 1 else ""
                out.append(ratio_row(
                    f"drain vs {LABELS[peer]}, {processes} process{plural}", backend.name, "jobs/s", pairs, AHEAD,
                    f"reference: {peer} {_version(peer)} x{processes}, {jobs:,} no-op jobs",
                ))
    finally:
        if database is not None:
            database.__exit__(None, None, None)
    return out
