"""What a change to the write path costs: the reserve→terminate cycle of this
checkout against another (e.g. main before the change), interleaved.

``python -m bench.write_cost --base DIR [--backends sqlite,postgres,redis]
[--processes 1,4] [--rounds 3] [--tasks N]``

``DIR`` is a checkout of the other version (``git archive <commit> | tar -x -C
DIR``). Each round runs the same cycle run (``bench.throughput``'s worker:
``reserve_task`` then ``terminate`` until the topic is empty, N tasks, from 1
or 4 spawned processes, its end state checked) once with each version's
``stores`` (each in a child process whose ``PYTHONPATH`` is that checkout),
alternating which goes first, so a change in the machine's load falls on both
alike. It prints each run and, per backend and process count, the medians and
their ratio (this ÷ base), the median and quartiles of each round's own ratio
(the two runs of a round share the load of that moment), with the load average
(``/proc/loadavg``) at the start of each round. Rates over time (issue 14)
asked for a ratio of at least 0.95. Namespaces are ``bench_<run id>_wc...``, dropped after each run.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent


def _one(backend_name: str, processes: int, tasks: int) -> None:
    """In a child: one cycle run with whatever ``stores`` is on the path; prints JSON."""
    from bench import procs
    from bench.backends import Backend
    from bench.throughput import _cycle_worker, new_tasks, verify_all_terminated_once

    backend = Backend.make(backend_name)
    namespace = backend.namespace(f"wc{os.getpid()}")
    try:
        with backend.open(namespace) as store:
            for start in range(0, tasks, 10_000):
                store.create_tasks(new_tasks("cycles", min(10_000, tasks - start), start))
            done, elapsed = procs.run(
                _cycle_worker, [(backend.url, namespace, "cycles", f"wc-{w}") for w in range(processes)]
            )
            verify_all_terminated_once(store, "cycles", tasks, done)
    finally:
        backend.cleanup()
    print(json.dumps({"rate": done / elapsed}))


def _run(checkout: Path, backend: str, processes: int, tasks: int) -> float:
    env = dict(os.environ, PYTHONPATH=str(checkout))
    out = subprocess.run(
        [sys.executable, "-c",
         f"from bench.write_cost import _one; _one({backend!r}, {processes}, {tasks})"],
        cwd=checkout, env=env, check=True, capture_output=True, text=True,
    ).stdout
    return float(json.loads(out.strip().splitlines()[-1])["rate"])


def _quartiles(values: list[float]) -> str:
    if len(values) < 4:
        return "too few rounds"
    low, _, high = statistics.quantiles(values, n=4)
    return f"{low:.3f}-{high:.3f}"


def _load() -> str:
    return Path("/proc/loadavg").read_text().split()[0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.write_cost", description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", required=True, type=Path, help="a checkout of the version to compare with")
    parser.add_argument("--backends", default="sqlite,postgres,redis")
    parser.add_argument("--processes", default="1,4")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--tasks", default="sqlite=8000,postgres=4000,redis=12000",
                        help="tasks per run, per backend")
    args = parser.parse_args(argv)
    base = args.base.resolve()
    # The child imports bench.write_cost from the checkout it runs: the base may not have it.
    if not (base / "bench" / "write_cost.py").exists():
        (base / "bench" / "write_cost.py").write_text(Path(__file__).read_text())
    tasks = dict(item.split("=") for item in args.tasks.split(","))
    summary = []
    for backend in args.backends.split(","):
        for processes in (int(p) for p in args.processes.split(",")):
            if backend == "sqlite" and processes > 1:
                continue  # one writer at a time: the 1-process figure says it
            ours, theirs = [], []
            for rnd in range(args.rounds):
                load = _load()
                order = [("this", HERE), ("base", base)]
                if rnd % 2:
                    order.reverse()
                for side, checkout in order:
                    rate = _run(checkout, backend, processes, int(tasks[backend]))
                    (ours if side == "this" else theirs).append(rate)
                    print(f"{backend} x{processes} round {rnd + 1} {side}: {rate:,.0f} cycles/s (load {load})",
                          flush=True)
            ratio = statistics.median(ours) / statistics.median(theirs)
            # Each round's own ratio: the two runs of a round shared the machine's load at that moment.
            paired = [o / t for o, t in zip(ours, theirs, strict=True)]
            summary.append(f"{backend} x{processes}: this {statistics.median(ours):,.0f}, "
                           f"base {statistics.median(theirs):,.0f} cycles/s (medians of {args.rounds}), "
                           f"ratio {ratio:.3f}; per round {statistics.median(paired):.3f} "
                           f"(quartiles {_quartiles(paired)})")
    print("\n".join(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
