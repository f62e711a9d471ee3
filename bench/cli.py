"""``python -m bench``: every figure of issue 5, against its target, in one table.

    python -m bench [--backends sqlite,postgres,redis] [--tasks 1000000] [--quick] [--keep]
                    [--parts throughput,scale,peers,batched] [--jobs 10000]

Per backend: store throughput (create one by one and in bulk; reserve→terminate
cycles from 1 and 4 processes, each divided by its reference measured in the
same run), then a store seeded with ``--tasks`` tasks (``bench.seed``) for the
read figures and the console figures. Medians of ``--reps`` repetitions (3;
1 with ``--quick``, which also uses 20,000 tasks and short runs). Every
namespace is ``bench_<run>_<purpose>`` and is dropped at the end unless ``--keep``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

from bench import batched, floors, peers, rates_fill, scale, seed, throughput
from bench.backends import Backend
from bench.table import Row, Target, render, value_row

BACKENDS = ("sqlite", "postgres", "redis")
CONSOLE_TARGETS = {
    "first_paint_s": ("console: first screen painted", "s", Target("value", "<=", 1.5, " s")),
    "rss_mb": ("console: peak RSS after 100 pages", "MB", Target("value", "<=", 150, " MB")),
    "refresh_ms": ("console: refresh tick (topics + leased + rates)", "ms", Target("value", "<=", 25, " ms")),
}


def console_rows(backend: Backend, namespace: str, reps: int) -> list[Row]:
    """The console figures, each run in a fresh process (first paint and RSS need one)."""
    runs = []
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [_root(), os.environ.get("PYTHONPATH")]))}
    for _ in range(reps):
        done = subprocess.run([sys.executable, "-m", "bench.console", backend.url, namespace], capture_output=True,
                              text=True, env=env, timeout=900)
        if done.returncode != 0:
            raise SystemExit(f"bench.console failed on {backend.name} (exit {done.returncode}):\n{done.stderr[-4000:]}")
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    rows = []
    for key, (label, unit, target) in CONSOLE_TARGETS.items():
        note = f"{runs[0]['rows_loaded']:,} rows loaded" if key == "rss_mb" else ""
        rows.append(value_row(label, backend.name, unit, [r[key] for r in runs], target, note))
    return rows


def _root() -> str:
    return os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_backend(backend: Backend, args, plans: list[str], checks: list[str], log) -> list[Row]:
    quick = args.quick
    reps = args.reps
    rows: list[Row] = []
    if "throughput" in args.parts:
        log(f"[{backend.name}] create")
        rows += throughput.create_rates(backend, 200 if quick else (300 if backend.name == "postgres" else 3000),
                                        5_000 if quick else 50_000, reps)
        for workers in (1, 4):
            log(f"[{backend.name}] reserve→terminate, {workers} process(es)")
            rows.append(throughput.cycle_rates(backend, workers, reps, 0.25 if quick else 3.0, checks))
        rows += floors.floor_rows(backend, reps, 0.25 if quick else 3.0, log)
    if "peers" in args.parts:
        rows += peers.rows(backend, args.jobs, reps, log)
    if "batched" in args.parts:
        rows += batched.rows(backend, args.jobs, reps, log, with_peers="peers" in args.parts)
    if "scale" not in args.parts:
        return rows
    namespace = backend.namespace("scale")
    log(f"[{backend.name}] seeding {args.tasks:,} tasks")
    seeded = seed.seed(backend.url, namespace, args.tasks, log=lambda m: log(f"[{backend.name}]   {m}"))
    rows.append(value_row("seed (bench.seed)", backend.name, "tasks/s", [seeded["tasks"] / seeded["total_s"]], None,
                          f"{seeded['tasks']:,} tasks in {seeded['total_s']:.0f} s"))
    log(f"[{backend.name}] reads at scale")
    with backend.open(namespace) as store:
        filled = rates_fill.fill(store, [s.topic for s in store.topics()])
        log(f"[{backend.name}]   rates at their bound: {filled:,} bucket rows/keys (bench.rates_fill)")
        rows += scale.measure(backend.name, store, 1 if quick else reps, plans)
    log(f"[{backend.name}] console")
    rows += console_rows(backend, namespace, reps)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--backends", default=",".join(BACKENDS))
    parser.add_argument("--tasks", type=int, default=None, help="tasks in the seeded store (1,000,000; quick: 20,000)")
    parser.add_argument("--reps", type=int, default=None, help="repetitions per figure (3; quick: 1)")
    parser.add_argument("--quick", action="store_true", help="a smoke run: small store, one repetition")
    parser.add_argument("--keep", action="store_true", help="keep the seeded stores (namespaces are printed)")
    parser.add_argument("--parts", default="throughput,scale",
                        help="throughput, scale (seeded store, reads, console), "
                             "peers (drains beside procrastinate, pgqueuer, RQ: the [bench] extra), "
                             "batched (Worker(concurrency, prefetch) vs the unbatched store; with peers, "
                             "vs pgqueuer batched too)")
    parser.add_argument("--jobs", type=int, default=None,
                        help="no-op jobs per peers or batched drain (10,000; quick: 1,000)")
    parser.add_argument("--url", action="append", default=[], metavar="BACKEND=URL", help="e.g. redis=redis://h:6379/1")
    args = parser.parse_args(argv)
    args.tasks = args.tasks or (20_000 if args.quick else 1_000_000)
    args.reps = args.reps or (1 if args.quick else 3)
    args.jobs = args.jobs or (1_000 if args.quick else 10_000)
    args.parts = {part.strip() for part in args.parts.split(",")}
    urls = dict(item.split("=", 1) for item in args.url)
    names = [name.strip() for name in args.backends.split(",") if name.strip()]
    unknown = sorted(set(names) - set(BACKENDS))
    if unknown:
        parser.error(f"unknown backend(s): {', '.join(unknown)}")

    def log(message: str) -> None:
        print(f"{time.strftime('%H:%M:%S')} {message}", file=sys.stderr, flush=True)

    started = time.monotonic()
    rows: list[Row] = []
    plans: list[str] = []
    checks: list[str] = []
    for name in names:
        backend = Backend.make(name, urls.get(name))
        try:
            rows += run_backend(backend, args, plans, checks, log)
        finally:
            keep = frozenset(ns for ns in backend.namespaces if ns.endswith("_scale")) if args.keep else frozenset()
            if keep:
                log(f"[{name}] kept {', '.join(sorted(keep))} at {backend.url}")
            backend.cleanup(keep)
    if plans:
        print("PostgreSQL plans (EXPLAIN (ANALYZE, BUFFERS)) of the read figures:\n")
        print("\n\n".join(plans), end="\n\n")
    print("End-state checks of the cycle runs:")
    print("\n".join(f"  ok: {check}" for check in checks), end="\n\n")
    print(render(rows))
    failed = [row for row in rows if row.verdict == "FAIL"]
    print(f"\n{len(rows)} figures, {len(failed)} FAIL; {args.tasks:,} tasks seeded per backend; "
          f"{args.reps} repetition(s); wall time {time.monotonic() - started:.0f} s")
    return 1 if failed else 0
