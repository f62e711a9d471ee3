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
short of giving up the listings and counts the console is built on. Every
variant's end state is checked (each task cycled exactly once). Namespaces are
``bench_<run id>_floor...`` and removed at the end, as the bench's are.
``bench.sqlite_floor`` does the same for SQLite.
"""

from __future__ import annotations

import argparse
import json
import types
from typing import TYPE_CHECKING

from bench import procs, references
from bench.backends import Backend
from bench.table import Row, Target, ratio_row
from bench.throughput import CYCLE_TARGETS, _cycle_worker, new_tasks

if TYPE_CHECKING:
    from stores.postgres.prepared import Prepared

PID = "floor"
LEASE_MS = 60_000
#: Seconds of cycling each variant is sized for (at the target ratio), and of each reference run.
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


def _pg_bare_worker(ready, url: str, namespace: str, topic: str, skeleton: bool) -> int:
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
    ready()
    done = 0
    while True:
        got = pg.exec_prepared(reserve.name, reserve_args)
        if got.status != pq.ExecStatus.TUPLES_OK:
            raise RuntimeError(got.error_message.decode())
        if got.ntuples == 0:
            break
        # The row is the task as a JSON array (prepared.TASK_JSON), its id first:
        # the store's generated ids need no unescaping.
        row = got.get_value(0, 0)
        write_args[task_at] = row[2:row.index(b'"', 2)]
        wrote = pg.exec_prepared(write.name, write_args)
        if wrote.status != pq.ExecStatus.TUPLES_OK or wrote.ntuples != 1:
            raise RuntimeError(f"terminate missed: {wrote.error_message.decode()}")
        done += 1
    conn.close()
    return done


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


def _pg_check(url: str, namespace: str, topic: str, expected: int) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(url, autocommit=True) as conn:
        total, terminated, ver3 = conn.execute(
            sql.SQL("SELECT count(*), count(*) FILTER (WHERE status = 'terminated'), "
                    "count(*) FILTER (WHERE record_ver = 3) FROM {}.tasks WHERE topic = %s")
            .format(sql.Identifier(namespace)), (topic,)).fetchone()
    if not total == terminated == ver3 == expected:
        raise AssertionError(f"{expected} tasks: {total} stored, {terminated} terminated, {ver3} at version 3")


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


def _redis_bare_worker(ready, url: str, namespace: str, topic: str, skeleton: bool) -> int:
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

    ready()
    done = 0
    while True:
        got = call(reserve)
        if got[0] != 1:
            break
        task_id = json.loads(got[1])[0]
        wrote = call(pack(("EVALSHA", shas["write"], 1, prefix, task_id, "terminated", PID, "", "", "", "")))
        if wrote[0] != 1:
            raise RuntimeError(f"terminate missed: {wrote}")
        done += 1
    conn.disconnect()
    client.close()
    return done


def _redis_check(url: str, namespace: str, topic: str, expected: int) -> None:
    import redis

    from stores.redis.keys import Keys

    prefix = Keys(namespace).topic(topic)
    client = redis.Redis.from_url(url)
    try:
        metas = client.hvals(prefix + "meta")
        left = client.zcard(prefix + "z:starting") + client.zcard(prefix + "l:running")
    finally:
        client.close()
    terminated = sum(1 for meta in metas if json.loads(meta)[:3] == ["terminated", None, 3])
    if not (len(metas) == terminated == expected and left == 0):
        raise AssertionError(f"{expected} tasks: {len(metas)} stored, {terminated} terminated at version 3, "
                             f"{left} still indexed for reservation")


def _sqlite_bare_worker(ready, url: str, namespace: str, topic: str, skeleton: bool) -> int:
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
    ready()
    done = 0
    while True:
        now = int(_time.time() * 1000)
        rows = execute(reserve, {"topic": topic, "pid": PID, "now": now, "lease_ms": LEASE_MS}).fetchall()
        if not rows:
            break
        wrote = execute(terminate, {"task_id": rows[0][0], "target": "terminated", "now": now, "set_error": False,
                                    "error": None, "snooze_ms": None, "owner_check": True, "pid": PID,
                                    "record_ver": None}).fetchall()
        if len(wrote) != 1:
            raise RuntimeError("terminate missed")
        done += 1
    store.close()
    return done


def _sqlite_check(url: str, namespace: str, topic: str, expected: int) -> None:
    from bench.throughput import verify_all_terminated_once
    from stores import open_store

    with open_store(url, namespace=namespace) as store:
        verify_all_terminated_once(store, topic, expected, expected)


BARE = {"postgres": (_pg_bare_worker, _pg_make_skeleton, _pg_check),
        "redis": (_redis_bare_worker, None, _redis_check),
        "sqlite": (_sqlite_bare_worker, None, _sqlite_check)}
#: The process counts each backend's floor is measured with (see _sqlite_bare_worker).
FLOOR_PROCESSES = {"postgres": (1, 4), "redis": (1, 4), "sqlite": (1,)}
#: The store's cycles/s against its own bare statements' (issue 15: the client path costs at most 10 %).
FLOOR_TARGET = Target("ratio", ">=", 0.90)


# -- the rounds --------------------------------------------------------------------
def _variant_rate(
    backend: Backend, variant: str, processes: int, reference: float, round_no: int, seconds: float
) -> float:
    """Cycles per second of ``variant`` from ``processes`` processes, its end state checked."""
    worker, make_skeleton, check = BARE[backend.name]
    namespace = backend.namespace(f"floor_{variant}")
    tasks = max(40 * processes, int(reference * CYCLE_TARGETS[backend.name] * seconds))
    topic = f"r{round_no}-{processes}p"
    with backend.open(namespace) as store:
        if variant == "skeleton" and make_skeleton is not None:
            make_skeleton(backend.url, namespace)
        for start in range(0, tasks, 10_000):
            store.create_tasks(new_tasks(topic, min(10_000, tasks - start), start))
    if variant == "store":
        args = [(backend.url, namespace, topic, f"{PID}-{w}") for w in range(processes)]
        done, elapsed = procs.run(_cycle_worker, args)
    else:
        args = [(backend.url, namespace, topic, variant == "skeleton") for _ in range(processes)]
        done, elapsed = procs.run(worker, args)
    check(backend.url, namespace, topic, tasks)
    if done != tasks:
        raise AssertionError(f"{tasks} tasks created, the workers cycled {done}")
    return done / elapsed


def floor_rows(backend: Backend, reps: int, seconds: float, log) -> list[Row]:
    """The store's reserve→terminate cycles against its bare statements' (the
    floor), measured back to back in each repetition, per process count; medians."""
    rows = []
    ref: dict = {}
    for processes in FLOOR_PROCESSES[backend.name]:
        log(f"[{backend.name}] store against its floor, {processes} process(es)")
        pairs = []
        for rep in range(reps):
            # The task count is sized from the reference, as the cycle rows' is.
            reference = _reference(backend, processes, ref, seconds)
            # Which runs first alternates: the first run of a pair follows the
            # reference's burst of writes (its WAL, a checkpoint it set off).
            order = ("store", "bare") if rep % 2 == 0 else ("bare", "store")
            rates = {variant: _variant_rate(backend, variant, processes, reference, 100 + rep, seconds)
                     for variant in order}
            pairs.append((rates["store"], rates["bare"]))
        plural = "es" if processes > 1 else ""
        rows.append(ratio_row(f"reserve→terminate vs its floor, {processes} process{plural}", backend.name,
                              "cycles/s", pairs, FLOOR_TARGET,
                              f"reference: the store's own statements from a bare loop x{processes}"))
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
            figures = []
            for variant in ("store", "bare", "skeleton"):
                rate = _variant_rate(backend, variant, n, reference, round_no, seconds)
                figures.append(f"{variant} {rate:,.0f} = {rate / reference:.3f} x")
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
