"""The references each throughput figure is divided by, measured in the same run.

- PostgreSQL: ``pgbench`` running a custom script of one single-row ``UPDATE``
  by primary key, with as many clients as the store has worker processes.
- Redis: a tight loop of ``EVALSHA`` of a two-command script from redis-py, in
  as many processes.
- SQLite: a loop of single-row ``UPDATE`` transactions (``BEGIN IMMEDIATE``)
  with the store's pragmas (WAL, ``synchronous=NORMAL``), in as many processes.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import time

from psycopg.conninfo import conninfo_to_dict

from bench import procs
from bench.backends import Backend

REF_ROWS = 10_000


# -- PostgreSQL ------------------------------------------------------------------
def prepare_pgbench(backend: Backend) -> str:
    """Create the reference table in the bench's own schema; return the schema."""
    import psycopg
    from psycopg import sql

    schema = backend.namespace("ref")
    with psycopg.connect(backend.url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
        conn.execute(sql.SQL("CREATE TABLE IF NOT EXISTS {}.ref (id int PRIMARY KEY, n bigint NOT NULL)").format(
            sql.Identifier(schema)))
        conn.execute(sql.SQL("INSERT INTO {}.ref SELECT g, 0 FROM generate_series(1, %s) g ON CONFLICT DO NOTHING")
                     .format(sql.Identifier(schema)), (REF_ROWS,))
    return schema


def pgbench_tps(backend: Backend, schema: str, clients: int, seconds: float) -> float:
    """Transactions per second of pgbench's single-row UPDATE script."""
    pgbench = shutil.which("pgbench") or "/usr/bin/pgbench"
    params = conninfo_to_dict(backend.url)
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as script:
        script.write(f"\\set id random(1, {REF_ROWS})\nUPDATE \"{schema}\".ref SET n = n + 1 WHERE id = :id;\n")
    env = {**os.environ}
    if params.get("password"):
        env["PGPASSWORD"] = params["password"]
    cmd = [pgbench, "-n", "-f", script.name, "-c", str(clients), "-j", str(clients), "-T", str(max(1, round(seconds))),
           "-h", params.get("host", "127.0.0.1"), "-p", str(params.get("port", 5432)),
           "-U", params.get("user", "postgres"), params.get("dbname", "postgres")]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=seconds + 60, check=True).stdout
    finally:
        os.unlink(script.name)
    match = re.search(r"tps = ([0-9.]+) \((?:without initial connection time|excluding connections establishing)",
                      out)
    if not match:
        raise RuntimeError(f"cannot read pgbench's tps from: {out[-500:]}")
    return float(match.group(1))


# -- Redis -----------------------------------------------------------------------
_TWO_COMMANDS = "redis.call('INCR', KEYS[1]) return redis.call('GET', KEYS[1])"


def _evalsha_loop(ready, url: str, key: str, seconds: float) -> int:
    import redis

    client = redis.Redis.from_url(url)
    sha = client.script_load(_TWO_COMMANDS)
    evalsha = client.evalsha
    ready()
    deadline = time.monotonic() + seconds
    n = 0
    while time.monotonic() < deadline:
        for _ in range(50):
            evalsha(sha, 1, key)
        n += 50
    client.close()
    return n


def evalsha_rate(backend: Backend, processes: int, seconds: float) -> float:
    """EVALSHA calls per second of ``processes`` tight loops together."""
    ns = backend.namespace("ref")
    count, elapsed = procs.run(_evalsha_loop, [(backend.url, f"{ns}:ref:{i}", seconds) for i in range(processes)])
    return count / elapsed


# -- SQLite ----------------------------------------------------------------------
def _sqlite_connect(path: str):
    import sqlite3

    conn = sqlite3.connect(path, timeout=5.0, isolation_level=None)
    conn.execute("PRAGMA busy_timeout = 5000")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    return conn


def prepare_sqlite(backend: Backend) -> str:
    path = os.path.join(backend.tmpdir or tempfile.gettempdir(), "reference.db")
    conn = _sqlite_connect(path)
    conn.execute("CREATE TABLE IF NOT EXISTS ref (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)")
    conn.execute("BEGIN")
    conn.executemany("INSERT OR IGNORE INTO ref VALUES (?, 0)", [(i,) for i in range(1, REF_ROWS + 1)])
    conn.execute("COMMIT")
    conn.close()
    return path


def _sqlite_loop(ready, path: str, seconds: float, seed: int) -> int:
    import random

    conn = _sqlite_connect(path)
    rnd = random.Random(seed)
    execute = conn.execute
    ready()
    deadline = time.monotonic() + seconds
    n = 0
    while time.monotonic() < deadline:
        for _ in range(20):
            execute("BEGIN IMMEDIATE")
            execute("UPDATE ref SET n = n + 1 WHERE id = ?", (rnd.randint(1, REF_ROWS),))
            execute("COMMIT")
        n += 20
    conn.close()
    return n


def sqlite_update_rate(path: str, processes: int, seconds: float) -> float:
    count, elapsed = procs.run(_sqlite_loop, [(path, seconds, i) for i in range(processes)])
    return count / elapsed
