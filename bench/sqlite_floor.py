"""How far below its reference SQLite's reserve→terminate cycle can go.

``python -m bench.sqlite_floor [--tasks N] [--rounds R]`` prints, per round, the
reference (``references.sqlite_update_rate``, one process) and the cycle time of
the store's own two statements (the one-statement reservation and the
conditional terminate) run from a bare ``sqlite3`` loop, with no store code
around them:

- ``schema``: the store's schema as it is;
- ``skeleton``: the same with every secondary index and the count trigger
  dropped, leaving only the primary key and the two partial indexes the
  reservation reads: what a task table costs that can no longer be listed or
  counted.

Each as a ratio to the reference, as the cycle rows of ``python -m bench`` are.
The point: when even the skeleton is under the 0.20 target, no work on the
store's Python can meet it.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

from bench import references
from bench.throughput import new_tasks
from stores import open_store

KEEP = ("tasks_starting", "tasks_leased")  # what the reservation reads
NAMESPACE = "floor"


def cycle_us(path: str, tasks: int, skeleton: bool) -> float:
    """Microseconds per reserve→terminate cycle of the store's statements, bare."""
    store = open_store(f"sqlite://{path}", namespace=NAMESPACE, lease_time_ms=60_000)
    try:
        conn = store._conn
        if skeleton:
            rows = conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL",
                (f"{NAMESPACE}_tasks",),
            ).fetchall()
            for (name,) in rows:
                if name not in {f"{NAMESPACE}_{keep}" for keep in KEEP}:
                    conn.execute(f'DROP INDEX "{name}"')
            conn.execute(f'DROP TRIGGER IF EXISTS "{NAMESPACE}_count_update"')
        store.create_tasks(new_tasks("t", tasks))
        reserve, terminate = store._sql["reserve_task"], store._sql["write_task:terminated"]
        execute = conn.execute
        now = store.now_ms()
        done = 0
        t0 = time.perf_counter()
        while True:
            rows = execute(reserve, {"topic": "t", "pid": "p", "now": now, "lease_ms": 60_000}).fetchall()
            if not rows:
                break
            execute(terminate, {"task_id": rows[0][0], "target": "terminated", "now": now, "set_error": False,
                                "error": None, "snooze_ms": None, "owner_check": True, "pid": "p",
                                "record_ver": None}).fetchall()
            done += 1
        elapsed = time.perf_counter() - t0
        if done != tasks:
            raise AssertionError(f"{tasks} tasks created, {done} cycled")
        return elapsed / done * 1e6
    finally:
        store.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="sokka-floor-") as tmp:

        class _Backend:  # what references.prepare_sqlite reads
            tmpdir = tmp

        ref_path = references.prepare_sqlite(_Backend())
        for round_no in range(1, args.rounds + 1):
            reference = references.sqlite_update_rate(ref_path, 1, 2.0)
            figures = []
            for variant, skeleton in (("schema", False), ("skeleton", True)):
                path = os.path.join(tmp, f"{variant}-{round_no}.db")
                micros = cycle_us(path, args.tasks, skeleton)
                figures.append(f"{variant} {micros:.0f} us/cycle = {1e6 / micros / reference:.3f} x")
                for suffix in ("", "-wal", "-shm"):
                    if os.path.exists(path + suffix):
                        os.unlink(path + suffix)
            print(f"round {round_no}: reference {reference:,.0f} tx/s; " + "; ".join(figures), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
