"""How close to its reference each server backend's reserve→terminate cycle can get.

``python -m bench.floors [--backends postgres,redis] [--processes 1,4] [--rounds R]``
prints, per backend, process count and round, the reference (measured as
``python -m bench`` does, just before) and the cycles per second of three
ways to run the same cycles, each as a ratio to that reference:

- ``store``: the store's public methods, as the bench's cycle rows run them;
- ``bare``: the store's own two statements (PostgreSQL: ``reserve_task`` and
  ``write_task``, prepared once, sent with libpq's ``exec_prepared`` on a
  session set up as the store's are: its settings and a count shard) or its two
  Lua scripts (Redis: ``EVALSHA`` of ``reserve.lua`` and ``write.lua``, packed
  once per call with hiredis and written to the socket) from a loop with no
  store code around them: what the cycle costs with a client that does nothing;
- ``skeleton``: ``bare`` with the listing indexes and the counts taken away,
  leaving what reservation reads (PostgreSQL: every index but the primary key
  and the three partial ones dropped, and the count CTE replaced by nothing;
  Redis: the ``u:s:*`` and ``u:ts:*`` index moves cut out of the scripts): a
  task table that can no longer be listed by status or counted.

When ``bare`` is under the target, no work on the store's Python can meet it;
when ``skeleton`` is too, no work on its statements or scripts can either,
short of giving up the listings and counts the console is built on. The
variants of a round take turns of about ``SLICE_S`` (``bench.interleave``), so
a drift of the disk or the machine falls on all of them alike, and each
prints the client CPU it spent a cycle. Every variant's end state is checked
(each task cycled once or never reserved, as the workers counted). Namespaces are
``bench_<run id>_floor...`` and removed at the end, as the bench's are.
``bench.sqlite_floor`` does the same for SQLite.
"""

from __future__ import annotations

import argparse
import json
import statistics
import types
from collections.abc import Callable
from typing import TYPE_CHECKING

from bench import interleave, references
from bench.backends import Backend
from bench.table import Row, Target, ratio_row
from bench.throughput import CYCLE_TARGETS, new_tasks, store_cycles

if TYPE_CHECKING:
    from stores.postgres.prepared import Prepared

PID = "floor"
Step = Callable[[], bool]
Close = Callable[[], None]
LEASE_MS = 60_000
#: Seconds of cycling of each variant in a round (in turns), and of each reference run.
SECONDS = 2.0


# -- PostgreSQL --------------------------------------------------------------------
#: What the reservation and the leased lists read; the skeleton keeps only these.
PG_KEPT_INDEXES = ("tasks_pkey", "tasks_starting", "tasks_leased", "tasks_leased_all")


def _pg_statements(namespace: str, skeleton: bool) -> dict[str, Prepared]:
    """The store's ``reserve_task``, ``write_task`` and ``claim_count_shard`` as
    the store sends its hot statements (``stores.postgres.prepared``)."""
    from psycopg import sql

    from stores.postgres.prepared import Prepared
    from stores.postgres.store import PostgresStore
    from stores.sqlfile import load_queries

    queries = dict(load_queries("stores.postgres", "queries.sql"))
    if skeleton:
        queries["count_change"] = "counted AS (SELECT 1)"  # never read, so never run
    compiled, _templates = PostgresStore._compile(types.SimpleNamespace(namespace=namespace), queries)
    statements = {}
    for name in ("reserve_task", "write_task", "claim_count_shard"):
        text = compiled[name].as_string(None) if isinstance(compiled[name], sql.Composable) else compiled[name]
        statements[name] = Prepared.of(name, text)
    return statements


def _pg_bare(url: str, namespace: str, topic: str, skeleton: bool) -> tuple[Step, Close]:
    import psycopg
    from psycopg import pq

    from stores import TaskStatus, open_store
    from stores.postgres.store import _FROM_STATUSES, PostgresStore

    # The session the store's own connections get (its timeouts, keepalives,
    # jit off, UTF-8): the floor differs from the store by the client path only.
    with open_store(url, namespace=namespace) as store:
        session = dict(store._connect_kwargs)
    conn = psycopg.connect(url, **session)
    pg = conn.pgconn
    statements = _pg_statements(namespace, skeleton)
    # A count shard of its own, as each of the store's sessions claims one.
    claim = statements["claim_count_shard"]
    claimed = pg.exec_params(claim.text, claim.values({"key": PostgresStore._shard_lock_key_of(namespace)}))
    if claimed.status != pq.ExecStatus.TUPLES_OK:
        raise RuntimeError(claimed.error_message.decode())
    reserve, write = statements["reserve_task"], statements["write_task"]
    for statement in (reserve, write):
        result = pg.prepare(statement.name, statement.text)
        if result.status != pq.ExecStatus.COMMAND_OK:
            raise RuntimeError(result.error_message.decode())
    # Every parameter but the task's id is the same each cycle: in text once.
    reserve_args = reserve.values({"topic": topic, "pid": PID, "lease_ms": LEASE_MS})
    write_args = write.values({
        "task_id": "", "target": "terminated", "from_statuses": _FROM_STATUSES[TaskStatus.TERMINATED],
        "owner_check": True, "pid": PID, "record_ver": None, "set_error": False, "error": None, "snooze_ms": None,
    })
    task_at = write.params.index("task_id")

    def step() -> bool:
        got = pg.exec_prepared(reserve.name, reserve_args)
        if got.status != pq.ExecStatus.TUPLES_OK:
            raise RuntimeError(got.error_message.decode())
        if got.ntuples == 0:
            return False
        # The row is the task as a JSON array (prepared.TASK_JSON), its id first:
        # the store's generated ids need no unescaping.
        row = got.get_value(0, 0)
        write_args[task_at] = row[2:row.index(b'"', 2)]
        wrote = pg.exec_prepared(write.name, write_args)
        if wrote.status != pq.ExecStatus.TUPLES_OK or wrote.ntuples != 1:
            raise RuntimeError(f"terminate missed: {wrote.error_message.decode()}")
        return True

    return step, conn.close


def _pg_make_skeleton(url: str, namespace: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(url, autocommit=True) as conn:
        names = conn.execute(
            "SELECT indexname FROM pg_indexes WHERE schemaname = %s AND tablename = 'tasks'", (namespace,)
        ).fetchall()
        for (name,) in names:
            if name not in PG_KEPT_INDEXES:
                conn.execute(sql.SQL("DROP INDEX {}.{}").format(sql.Identifier(namespace), sql.Identifier(name)))


def _pg_check(url: str, namespace: str, topic: str, done: int, created: int) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(url, autocommit=True) as conn:
        total, terminated, untouched = conn.execute(
            sql.SQL("SELECT count(*), "
                    "count(*) FILTER (WHERE status = 'terminated' AND record_ver = 3 AND pid IS NULL), "
                    "count(*) FILTER (WHERE status = 'starting' AND record_ver = 1) FROM {}.tasks WHERE topic = %s")
            .format(sql.Identifier(namespace)), (topic,)).fetchone()
    _check_counts(created, done, total, terminated, untouched)


def _check_counts(created: int, done: int, total: int, terminated: int, untouched: int) -> None:
    """Every task cycled once or not at all: ``done`` terminated at version 3, the rest never reserved."""
    if not (total == created and terminated == done and untouched == created - done):
        raise AssertionError(f"{created} tasks, {done} cycled: {total} stored, {terminated} terminated at "
                             f"version 3, {untouched} never reserved")


# -- Redis -------------------------------------------------------------------------
def _redis_skeleton_text(text: str) -> str:
    """A script without the ``u:s:*`` / ``u:ts:*`` index moves of ``common.lua``."""
    for line in (
        "  redis.call('ZREM', P .. 'u:s:' .. m.status, member)\n",
        "  redis.call('ZREM', P .. 'u:ts:' .. m.status .. ':' .. m.sub, member)\n",
        "  redis.call('ZADD', P .. 'u:s:' .. m.status, 0, member)\n",
        "  redis.call('ZADD', P .. 'u:ts:' .. m.status .. ':' .. m.sub, 0, member)\n",
    ):
        if line not in text:
            raise AssertionError(f"common.lua changed: cannot cut {line.strip()!r}")
        text = text.replace(line, "")
    return text


def _redis_bare(url: str, namespace: str, topic: str, skeleton: bool) -> tuple[Step, Close]:
    import hiredis
    import redis

    from stores.redis.direct import checkout
    from stores.redis.keys import Keys
    from stores.redis.scripts import script_texts

    client = redis.Redis.from_url(url)
    texts = script_texts()
    shas = {}
    for name in ("reserve", "write"):
        text = _redis_skeleton_text(texts[name]) if skeleton else texts[name]
        shas[name] = client.script_load(text)
    conn = checkout(client.connection_pool)
    conn.connect()  # authenticated, on the URL's database
    sock = conn._sock
    prefix = Keys(namespace).topic(topic)
    pack = hiredis.pack_command
    reserve = pack(("EVALSHA", shas["reserve"], 1, prefix, PID, LEASE_MS, ""))
    reader = hiredis.Reader()
    buffer = bytearray(65536)

    def call(packed: bytes):
        sock.sendall(packed)
        while (reply := reader.gets()) is False:
            reader.feed(buffer, 0, sock.recv_into(buffer))
        return reply

    def step() -> bool:
        got = call(reserve)
        if got[0] != 1:
            return False
        task_id = json.loads(got[1])[0]
        wrote = call(pack(("EVALSHA", shas["write"], 1, prefix, task_id, "terminated", PID, "", "", "", "")))
        if wrote[0] != 1:
            raise RuntimeError(f"terminate missed: {wrote}")
        return True

    def close() -> None:
        conn.disconnect()
        client.close()

    return step, close


def _redis_check(url: str, namespace: str, topic: str, done: int, created: int) -> None:
    import redis

    from stores.redis.keys import Keys

    prefix = Keys(namespace).topic(topic)
    client = redis.Redis.from_url(url)
    try:
        metas = [json.loads(meta) for meta in client.hvals(prefix + "meta")]
        waiting = client.zcard(prefix + "z:starting")
        running = client.zcard(prefix + "l:running")
    finally:
        client.close()
    terminated = sum(1 for meta in metas if meta[:3] == ["terminated", None, 3])
    untouched = sum(1 for meta in metas if meta[:3] == ["starting", None, 1])
    _check_counts(created, done, len(metas), terminated, untouched)
    if waiting != created - done or running:
        raise AssertionError(f"{created - done} tasks never reserved: {waiting} indexed for reservation, "
                             f"{running} as running")


def _sqlite_bare(url: str, namespace: str, topic: str, skeleton: bool) -> tuple[Step, Close]:
    """The store's two SQLite statements from a bare loop on its own connection
    (the store's clock read per cycle, as the store reads it); one process only:
    a bare loop has no way to share the write lock but SQLite's sleeping busy
    handler, which would make a floor slower than the store."""
    import time as _time

    from stores import open_store

    if skeleton:
        raise ValueError("the SQLite skeleton is bench.sqlite_floor's")
    store = open_store(url, namespace=namespace, lease_time_ms=LEASE_MS)
    execute = store._conn.execute
    reserve, terminate = store._sql["reserve_task"], store._sql["write_task:terminated"]

    def step() -> bool:
        now = int(_time.time() * 1000)
        rows = execute(reserve, {"topic": topic, "pid": PID, "now": now, "lease_ms": LEASE_MS}).fetchall()
        if not rows:
            return False
        wrote = execute(terminate, {"task_id": rows[0][0], "target": "terminated", "now": now, "set_error": False,
                                    "error": None, "snooze_ms": None, "owner_check": True, "pid": PID,
                                    "record_ver": None}).fetchall()
        if len(wrote) != 1:
            raise RuntimeError("terminate missed")
        return True

    return step, store.close


def _sqlite_check(url: str, namespace: str, topic: str, done: int, created: int) -> None:
    from stores import TaskStatus, open_store, scroll

    with open_store(url, namespace=namespace) as store:
        tasks = list(scroll(lambda cursor: store.list_tasks({"topic": topic}, cursor), {"limit": 1000}))
    terminated = sum(1 for t in tasks if t.status == TaskStatus.TERMINATED and t.record_ver == 3 and t.pid is None)
    untouched = sum(1 for t in tasks if t.status == TaskStatus.STARTING and t.record_ver == 1)
    _check_counts(created, done, len({t.task_id for t in tasks}), terminated, untouched)


BARE = {"postgres": (_pg_bare, _pg_make_skeleton, _pg_check),
        "redis": (_redis_bare, None, _redis_check),
        "sqlite": (_sqlite_bare, None, _sqlite_check)}
#: The process counts each backend's floor is measured with (see _sqlite_bare).
FLOOR_PROCESSES = {"postgres": (1, 4), "redis": (1, 4), "sqlite": (1,)}
#: The store's cycles/s against its own bare statements' (issue 15: the client path costs at most 10 %).
FLOOR_TARGET = Target("ratio", ">=", 0.90)


# -- the rounds --------------------------------------------------------------------
#: Each variant works in turns of about this long (``bench.interleave``).
SLICE_S = 0.25
#: Tasks made for each variant beyond what a run at the expected rate takes:
#: running out within a turn is an error.
TASK_MARGIN = 2.5


def _floor_rates(
    backend: Backend, variants: tuple[str, ...], processes: int, expected: float, round_no: int, seconds: float
) -> dict[str, interleave.Measured]:
    """``variants`` from ``processes`` processes each, in alternating turns for
    ``seconds`` each in all (``bench.interleave``), each run's end state checked.
    ``expected``: cycles/s the fastest of them may reach, to size the work."""
    make_bare, make_skeleton, check = BARE[backend.name]
    turns = max(2, round(seconds / SLICE_S))
    tasks = max(200 * processes, int(expected * seconds * TASK_MARGIN))
    topic = f"r{round_no}-{processes}p"
    plan: dict[str, tuple[interleave.Make, list[tuple]]] = {}
    namespaces = {}
    for variant in variants:
        namespace = namespaces[variant] = backend.namespace(f"floor_{variant}")
        with backend.open(namespace) as store:
            if variant == "skeleton" and make_skeleton is not None:
                make_skeleton(backend.url, namespace)
            for start in range(0, tasks, 10_000):
                store.create_tasks(new_tasks(topic, min(10_000, tasks - start), start))
        if variant == "store":
            plan[variant] = (store_cycles, [(backend.url, namespace, topic, f"{PID}-{w}") for w in range(processes)])
        else:
            plan[variant] = (make_bare, [(backend.url, namespace, topic, variant == "skeleton")] * processes)
    measured = interleave.run(plan, turns, seconds / turns)
    for variant in variants:
        check(backend.url, namespace=namespaces[variant], topic=topic, done=measured[variant].count, created=tasks)
    return measured


def floor_rows(backend: Backend, reps: int, seconds: float, log) -> list[Row]:
    """The store's reserve→terminate cycles against its bare statements' (the
    floor), the two taking turns within each repetition (``bench.interleave``),
    per process count; medians, and the client CPU each spent per cycle."""
    rows = []
    ref: dict = {}
    for processes in FLOOR_PROCESSES[backend.name]:
        log(f"[{backend.name}] store against its floor, {processes} process(es)")
        # The work is sized from the reference at first, then from what the
        # variants reached.
        expected = _reference(backend, processes, ref, seconds) * CYCLE_TARGETS[backend.name]
        pairs, cpu = [], []
        for rep in range(reps):
            rates = _floor_rates(backend, ("store", "bare"), processes, expected, 100 + rep, seconds)
            store, bare = rates["store"], rates["bare"]
            pairs.append((store.rate, bare.rate))
            cpu.append((store.cpu_us_per_unit, bare.cpu_us_per_unit))
            expected = max(store.rate, bare.rate)
        plural = "es" if processes > 1 else ""
        client = (f"client CPU a cycle {statistics.median(c for c, _ in cpu):.0f} µs, "
                  f"bare {statistics.median(b for _, b in cpu):.0f} µs")
        rows.append(ratio_row(f"reserve→terminate vs its floor, {processes} process{plural}", backend.name,
                              "cycles/s", pairs, FLOOR_TARGET,
                              f"reference: the store's own statements from a bare loop x{processes}, "
                              f"in turns; {client}"))
    return rows


def _reference(backend: Backend, processes: int, ref: dict, seconds: float) -> float:
    if backend.name == "sqlite":
        if "path" not in ref:
            ref["path"] = references.prepare_sqlite(backend)
        return references.sqlite_update_rate(ref["path"], processes, seconds)
    if backend.name == "postgres":
        if "schema" not in ref:
            ref["schema"] = references.prepare_pgbench(backend)
        return references.pgbench_tps(backend, ref["schema"], processes, seconds)
    return references.evalsha_rate(backend, processes, seconds)


def floor_rounds(backend: Backend, processes: list[int], rounds: int, seconds: float = SECONDS) -> list[str]:
    """Print and return one line per process count and round."""
    lines = []
    ref: dict = {}
    target = CYCLE_TARGETS[backend.name]
    for n in processes:
        for round_no in range(1, rounds + 1):
            reference = _reference(backend, n, ref, seconds)
            rates = _floor_rates(backend, ("store", "bare", "skeleton"), n, reference * target, round_no, seconds)
            figures = [f"{variant} {m.rate:,.0f} = {m.rate / reference:.3f} x (client CPU {m.cpu_us_per_unit:.0f} µs)"
                       for variant, m in rates.items()]
            line = (f"{backend.name}, {n} process{'es' if n > 1 else ''}, round {round_no}: "
                    f"reference {reference:,.0f}/s; " + "; ".join(figures) + f" (target {target:.2f} x)")
            print(line, flush=True)
            lines.append(line)
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backends", default="postgres,redis")
    parser.add_argument("--processes", default="1,4")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--url", action="append", default=[], metavar="BACKEND=URL")
    args = parser.parse_args(argv)
    urls = dict(item.split("=", 1) for item in args.url)
    processes = [int(n) for n in args.processes.split(",")]
    for name in args.backends.split(","):
        if name not in BARE:
            parser.error(f"no floor for {name!r} here (SQLite: python -m bench.sqlite_floor)")
        backend = Backend.make(name, urls.get(name))
        try:
            floor_rounds(backend, processes, args.rounds)
        finally:
            backend.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
