"""Running N worker processes that start their timed work together.

Each job is a module-level function ``job(ready, *args) -> int`` that does its
setup (imports, connections), calls ``ready()`` (which waits until every
process is ready), then works and returns how many operations it did. The
figure is the sum of the counts over the time from the first start to the last
finish, so process start-up never counts.
"""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Callable, Sequence
from typing import Any

_SPAWN = multiprocessing.get_context("spawn")


def _child(job: Callable[..., int], args: tuple, barrier, results) -> None:
    started: list[float] = []

    def ready() -> None:
        barrier.wait(timeout=120)
        started.append(time.monotonic())

    try:
        count = job(ready, *args)
        results.put(("ok", count, started[0], time.monotonic()))
    except BaseException as exc:  # reported to the parent, which raises
        results.put(("error", repr(exc), 0.0, 0.0))
        raise


def shared_counter() -> Any:
    """An integer the processes of one ``run`` share (``.value``, ``.get_lock()``):
    pass it in their arguments."""
    return _SPAWN.Value("q", 0)


def run(
    job: Callable[..., int], args_per_process: Sequence[tuple[Any, ...]], timeout_s: float = 600
) -> tuple[int, float]:
    """Run ``job`` once per argument tuple, each in its own (spawned) process;
    return (total count, seconds from the common start to the last finish)."""
    n = len(args_per_process)
    barrier = _SPAWN.Barrier(n)
    results = _SPAWN.Queue()
    procs = [_SPAWN.Process(target=_child, args=(job, args, barrier, results), daemon=True)
             for args in args_per_process]
    for proc in procs:
        proc.start()
    outcomes = [results.get(timeout=timeout_s) for _ in procs]
    for proc in procs:
        proc.join(timeout=30)
    errors = [o[1] for o in outcomes if o[0] != "ok"]
    if errors:
        raise RuntimeError(f"a benchmark process failed: {errors[0]}")
    total = sum(o[1] for o in outcomes)
    elapsed = max(o[3] for o in outcomes) - min(o[2] for o in outcomes)
    return total, elapsed
