"""Two or more ways of doing the same work, measured in alternating slices.

Two runs made one after the other compare the machine at two moments as much
as the code: on PostgreSQL with one process, where a cycle waits on two
commits' ``fsync``, the store and its bare statements measured 0.85 to 1.08 of
each other over eight back-to-back pairs of 2 s runs of the same code, the bare
loop alone moving from 1,409 to 1,645 cycles/s (``bench/README.md``). Here
every variant's processes start together and take turns: variant A works for
a slice while the others wait, then B, then B again and A (the order reversed
every other round, so neither always follows the other), and each variant's
rate is its cycles over the sum of its own slices. A drift of the disk or of
the machine's load falls on all of them alike.

A job is a module-level function ``make(*args) -> (step, close)``, called in
its own spawned process: ``step()`` does one unit of work and returns whether
there was one (running out within a turn is an error: size the work for
``slices * slice_s`` seconds and more), ``close()`` releases what ``make``
opened. Waiting processes block on an event (no CPU); a working one reads its
turn from shared memory before each step. Each process also reports the CPU
time (all its threads, user and system) it spent in its turns: with the rate,
the client's CPU per cycle.
"""

from __future__ import annotations

import multiprocessing
import queue
import resource
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

_SPAWN = multiprocessing.get_context("spawn")
#: Turn values besides a variant's (its index + 1).
_PAUSE, _STOP = 0, -1

Make = Callable[..., tuple[Callable[[], bool], Callable[[], None]]]


@dataclass(frozen=True)
class Measured:
    """One variant's work over its slices."""

    count: int
    seconds: float
    #: Its processes' CPU time within their turns (seconds, all threads).
    cpu_s: float

    @property
    def rate(self) -> float:
        return self.count / self.seconds if self.seconds else 0.0

    @property
    def cpu_us_per_unit(self) -> float:
        return self.cpu_s / self.count * 1e6 if self.count else 0.0


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _child(make: Make, args: tuple, me: int, slot: int, turn, wake, busy, done, cpu, failed, results) -> None:
    try:
        step, close = make(*args)
        results.put(("ready", slot, ""))
        count = 0
        spent = 0.0
        while True:
            now = turn.value
            if now == me:
                busy[slot] = 1  # before the turn is read again: the coordinator waits for this to clear
                started = _cpu()
                while turn.value == me:
                    if not step():
                        raise RuntimeError("ran out of work within its turn: the run needs more")
                    count += 1
                    done[slot] = count
                spent += _cpu() - started
                cpu[slot] = spent
                busy[slot] = 0
            elif now == _STOP:
                break
            else:
                wake.wait(1.0)
        close()
        results.put(("ok", slot, ""))
    except BaseException as exc:  # reported to the parent, which raises
        failed[slot] = 1
        busy[slot] = 0
        results.put(("error", slot, repr(exc)))
        raise


def run(
    variants: Mapping[str, tuple[Make, Sequence[tuple[Any, ...]]]],
    slices: int,
    slice_s: float,
    timeout_s: float = 600,
) -> dict[str, Measured]:
    """Run each variant's ``make`` once per argument tuple, each in its own
    process, and let the variants work in turns: ``slices`` turns of ``slice_s``
    seconds each, in an order that alternates. Returns each variant's work.
    Raises ``RuntimeError`` when a process fails (also when it ran out of work)."""
    names = list(variants)
    turn = _SPAWN.Value("i", _PAUSE, lock=False)
    wakes = [_SPAWN.Event() for _ in names]
    slots = [(index, args) for index, name in enumerate(names) for args in variants[name][1]]
    slots_of = [[slot for slot, (owner, _) in enumerate(slots) if owner == index] for index in range(len(names))]
    busy = _SPAWN.Array("b", len(slots), lock=False)
    done = _SPAWN.Array("q", len(slots), lock=False)
    cpu = _SPAWN.Array("d", len(slots), lock=False)
    failed = _SPAWN.Array("b", len(slots), lock=False)
    results = _SPAWN.Queue()
    procs = [
        _SPAWN.Process(
            target=_child,
            args=(variants[names[index]][0], args, index + 1, slot, turn, wakes[index], busy, done, cpu, failed,
                  results),
            daemon=True,
        )
        for slot, (index, args) in enumerate(slots)
    ]
    for proc in procs:
        proc.start()
    try:
        _expect(results, "ready", procs, timeout_s)
        seconds = [0.0] * len(names)
        ends = time.monotonic() + timeout_s
        for round_no in range(slices):
            order = range(len(names)) if round_no % 2 == 0 else reversed(range(len(names)))
            for index in order:
                mine = slots_of[index]
                started = time.monotonic()
                turn.value = index + 1
                wakes[index].set()
                time.sleep(slice_s)
                wakes[index].clear()
                turn.value = _PAUSE
                while any(busy[slot] for slot in mine):  # the steps in flight finish within the slice
                    if time.monotonic() > ends:
                        raise RuntimeError("a benchmark process did not finish its step in time")
                    time.sleep(0.0002)
                seconds[index] += time.monotonic() - started
                if any(failed):
                    raise RuntimeError(f"a benchmark process failed: {_first_error(results, timeout_s)}")
        turn.value = _STOP
        for wake in wakes:
            wake.set()
        _expect(results, "ok", procs, timeout_s)
    finally:
        turn.value = _STOP
        for wake in wakes:
            wake.set()
        for proc in procs:
            proc.join(timeout=30)
            if proc.is_alive():
                proc.kill()
    return {
        name: Measured(sum(done[slot] for slot in slots_of[index]), seconds[index],
                       sum(cpu[slot] for slot in slots_of[index]))
        for index, name in enumerate(names)
    }


def _expect(results, what: str, procs: list, timeout_s: float) -> None:
    """Wait for each process to say ``what``; raise for one that failed or died."""
    ends = time.monotonic() + timeout_s
    heard = 0
    while heard < len(procs):
        try:
            kind, _slot, detail = results.get(timeout=0.5)
        except queue.Empty:
            dead = [proc.exitcode for proc in procs if proc.exitcode not in (None, 0)]
            if dead:
                raise RuntimeError(f"a benchmark process died (exit code {dead[0]})") from None
            if time.monotonic() > ends:
                raise RuntimeError(f"the benchmark processes did not say {what!r} in {timeout_s:g} s") from None
            continue
        if kind == "error":
            raise RuntimeError(f"a benchmark process failed: {detail}")
        if kind != what:
            raise RuntimeError(f"a benchmark process said {kind!r} where {what!r} was due")
        heard += 1


def _first_error(results, timeout_s: float) -> str:
    while True:
        kind, _slot, detail = results.get(timeout=timeout_s)
        if kind == "error":
            return detail
