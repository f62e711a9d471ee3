"""The benchmark harness still runs (``python -m bench --quick`` on SQLite).

It does not assert the speed targets (CI machines are noisy); it checks that
the run completes, that the end state of the cycle runs was verified, and that
every figure of the issue is printed with a verdict."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from bench.throughput import new_tasks, verify_all_terminated_once
from stores import open_store

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIGURES = (
    "create_task, one by one", "create_tasks, bulk", "reserve→terminate, 1 process",
    "reserve→terminate, 4 processes", "topics()", "list_tasks page 1", "list_tasks page 100",
    "list_leased_tasks page 1", "task(id)", "console: first screen painted",
    "console: peak RSS after 100 pages", "console: refresh tick",
)


@pytest.mark.timeout(240)
def test_quick_run_prints_every_figure():
    env = {**os.environ, "PYTHONPATH": ROOT}
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--backends", "sqlite", "--quick", "--tasks", "4000"],
        capture_output=True, text=True, cwd=ROOT, env=env, timeout=230,
    )
    assert done.returncode in (0, 1), done.stderr[-2000:]  # 1: some target missed, which is not checked here
    out = done.stdout
    assert "ok: sqlite:" in out and "1 worker(s): each terminated exactly once" in out
    assert "4 worker(s): each terminated exactly once" in out
    table = [line for line in out.splitlines() if line.startswith("| ")]
    for figure in FIGURES:
        rows = [line for line in table if line.startswith(f"| {figure}")]
        assert rows, f"figure {figure!r} is missing"
        assert any(f"| {verdict} " in rows[0] for verdict in ("PASS", "FAIL", "info")), rows[0]


def test_end_state_check_catches_a_task_not_terminated(tmp_path):
    with open_store(f"sqlite://{tmp_path}/v.db") as store:
        store.create_tasks(new_tasks("t", 3))
        for _ in range(3):
            task = store.reserve_task("t", "w")
            store.terminate(task.task_id, "w")
        verify_all_terminated_once(store, "t", 3, 3)
        with pytest.raises(AssertionError):
            verify_all_terminated_once(store, "t", 3, 4)  # the workers counted one too many
        store.create_task({"topic": "t", "data": None})
        with pytest.raises(AssertionError):
            verify_all_terminated_once(store, "t", 3, 3)  # one task left starting


def test_sqlite_floor_measures_both_variants(capsys):
    """``python -m bench.sqlite_floor``: the store's statements and the skeleton, each
    cycled through every task (it raises otherwise), each as a ratio."""
    from bench import sqlite_floor

    assert sqlite_floor.main(["--tasks", "300", "--rounds", "1"]) == 0
    line = capsys.readouterr().out.strip()
    assert line.startswith("round 1: reference "), line
    assert " schema " in line and " skeleton " in line and line.count(" x") == 2, line


@pytest.mark.timeout(120)
@pytest.mark.parametrize("backend_name", ["postgres", "redis"])
def test_floors_cycle_every_variant(backend_name):
    """``python -m bench.floors``: the store, its bare statements or scripts, and the
    skeleton each cycle every task once (each run's end state is checked, and a
    worker that missed a terminate raises), each printed as a ratio; nothing of
    the run is left behind."""
    from bench import floors
    from bench.backends import Backend

    backend = Backend.make(backend_name)
    try:
        (line,) = floors.floor_rounds(backend, [1], 1, seconds=0.5)
    finally:
        backend.cleanup()
    assert line.startswith(f"{backend_name}, 1 process, round 1: reference "), line
    for variant in ("store", "bare", "skeleton"):
        assert f"; {variant} " in line, line
    assert line.count(" x") == 4, line  # three ratios and the target
    assert not backend.namespaces


@pytest.mark.parametrize("backend_name", ["postgres", "redis"])
def test_floors_end_state_check_catches_a_task_left(backend_name):
    from bench import floors
    from bench.backends import Backend

    backend = Backend.make(backend_name)
    namespace = backend.namespace("floor_check")
    try:
        with backend.open(namespace) as store:
            store.create_tasks(new_tasks("t", 2))
            task = store.reserve_task("t", "w")
            store.terminate(task.task_id, "w")
            check = floors.BARE[backend_name][2]
            with pytest.raises(AssertionError):
                check(backend.url, namespace, "t", 2)  # one task still starting
            task = store.reserve_task("t", "w")
            store.terminate(task.task_id, "w")
            check(backend.url, namespace, "t", 2)
    finally:
        backend.cleanup()
