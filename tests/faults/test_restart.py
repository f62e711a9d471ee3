"""A server restarted under live traffic: console and workers ride it out.

Two worker processes (``stores.worker.Worker``) work through a topic while the
console runs with its live refresh; mid-run the private server is shut down,
kept down for a moment, and started again on the same port with its data.
The console must show the outage within one refresh, answer keys while it
lasts, and clear the banner by itself; the workers must go on; and in the end
every task ran once and was terminated once, by the worker that held it."""

from __future__ import annotations

import asyncio
import time
from collections import Counter

import pytest

import stores
from sokka_tui.clock import system_clock
from sokka_tui.widgets.status_bar import OutageBanner
from tests.faults.workers import read_lines, spawn
from tests.private_servers import PrivatePostgres, PrivateRedis
from tests.servers import new_namespace
from tests.tui.conftest import SIZE, settle
from tests.waiting import until, wait_for

TASKS = 60
WORK_MS = 150
#: Far longer than the outage, so a held task's lease outlives it even when a
#: loaded CI machine stalls the restart or the workers' retries for seconds.
LEASE_MS = 15_000
TIMEOUT_S = 1
REFRESH_S = 0.5
DOWN_S = 1.5
#: Slack on top of "one refresh" for a load to fail (it waits up to TIMEOUT_S).
SLACK_S = TIMEOUT_S + 1.0

#: Log templates of stores.worker that mean a task was taken from its worker.
TAKEN_AWAY = ("Lost the lease", "before its lease ended", "Could not record %s for %r (%s)")


def _server(kind: str, tmp_path):
    if kind == "postgres":
        return PrivatePostgres(tmp_path)
    return PrivateRedis(tmp_path, persistent=True)  # the data must survive the restart


def _story(task_ids: list[str], records: list[tuple[int, dict]], *, down_at_wall: float) -> str:
    """What the workers recorded about ``task_ids`` (runs and log lines naming
    them), for a failure message that explains itself."""
    lines = [f"tasks not run exactly once: {task_ids}; the server was down from about {down_at_wall:.2f}"]
    for worker, record in records:
        text = " ".join([record.get("msg", ""), *record.get("args", [])])
        if record.get("task_id") in task_ids or any(t in text for t in task_ids):
            lines.append(f"worker{worker}: {record}")
    return "\n".join(lines)


async def _until(pilot, predicate, timeout: float) -> float:
    """Let the app run until ``predicate()``; return how long it took (or fail)."""
    started = time.monotonic()
    await until(pilot, predicate, timeout)
    return time.monotonic() - started


@pytest.mark.parametrize("kind", ["postgres", "redis"])
async def test_restart_with_console_and_workers(kind, tmp_path, make_app):
    server = _server(kind, tmp_path)
    server.start()
    namespace = new_namespace("f")
    stop_file = tmp_path / "stop"
    outs = [tmp_path / f"worker{i}.jsonl" for i in range(2)]
    procs = []
    store = stores.open_store(server.url, namespace=namespace, timeout=TIMEOUT_S, lease_time_ms=LEASE_MS)
    try:
        ids = [t.task_id for t in store.create_tasks([{"topic": "work", "data": i} for i in range(TASKS)])]

        def terminated() -> int:
            return next(s.counts["terminated"] for s in store.topics() if s.topic == "work")

        procs = [spawn(server.url, namespace, "work", out, stop_file, lease_ms=LEASE_MS, work_ms=WORK_MS)
                 for out in outs]
        app = make_app(store, clock=system_clock, refresh_interval=REFRESH_S)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            banner = app.screen.query_one(OutageBanner)
            await _until(pilot, lambda: terminated() >= 6, 30)  # the workers are well under way
            assert not banner.display
            assert terminated() < TASKS - 10, "the workers finished before the restart; make TASKS larger"

            await asyncio.to_thread(server.stop)
            down_at = time.monotonic()
            seen_after = await _until(pilot, lambda: banner.display, REFRESH_S + SLACK_S)
            assert "STORE UNAVAILABLE" in str(banner.content)
            leased = app.show_leased
            await pilot.press("l")  # keys are answered while the store is down
            await pilot.pause()
            assert app.show_leased is not leased
            await pilot.press("l")
            await pilot.pause()
            assert app.show_leased is leased
            await asyncio.sleep(max(0.0, DOWN_S - (time.monotonic() - down_at)))

            await asyncio.to_thread(server.start)
            up_wall = time.time()
            cleared_after = await _until(pilot, lambda: not banner.display, REFRESH_S + SLACK_S)
            assert app.outage is None

        # Everything gets done, lost reservations included (their lease ends first).
        assert wait_for(lambda: terminated() == TASKS, timeout=LEASE_MS / 1000 + 20, interval=0.1)
        stop_file.touch()
        for proc in procs:
            assert proc.wait(timeout=30) == 0, (tmp_path / f"{outs[procs.index(proc)]}.stderr").read_text()

        records = [(i, r) for i, out in enumerate(outs) for r in read_lines(out)]
        runs = [r for _, r in records if r["event"] == "run"]
        logs = [r for _, r in records if r["event"] == "log"]
        # Each task ran exactly once: no task was ever held by two workers.
        ran = Counter(r["task_id"] for r in runs)
        odd = sorted(set(ids) ^ set(ran) | {i for i, n in ran.items() if n != 1})
        assert ran == Counter(ids), _story(odd, records, down_at_wall=up_wall - DOWN_S)
        # ... and exactly one write followed that reservation: its own terminate.
        final = {t.task_id: t for t in stores.scroll(lambda c: store.list_tasks({"topic": "work"}, c), {"limit": 100})}
        for run in runs:
            task = final[run["task_id"]]
            assert (task.status, task.pid, task.lease_expires_at) == ("terminated", None, None)
            assert task.record_ver == run["record_ver"] + 1, (run, task)
        # No worker had a task taken away or a write refused.
        taken = [r for r in logs if any(r["msg"].startswith(t) for t in TAKEN_AWAY)]
        assert taken == []
        # Both workers went on after the restart.
        resumed = {i for i, r in records if r["event"] == "run" and r["at"] >= up_wall}
        assert resumed == {0, 1}
        print(f"{kind}: banner after {seen_after:.2f} s, cleared {cleared_after:.2f} s after restart; "
              f"worker retries: {sum('retrying' in r['msg'] for r in logs)}, "
              f"settled after a lost reply: {sum('applied after all' in r['msg'] for r in logs)}")
    finally:
        stop_file.touch()
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        store.close()
        server.remove()



def test_postgres_write_right_after_a_restart(private_postgres):
    """Connections the restart closed while they sat in the pool are dropped
    unused: the first write after it goes through, not only a retried read."""
    store = stores.open_store(private_postgres.url, timeout=TIMEOUT_S)
    try:
        store.create_task({"topic": "work"})
        held = store.reserve_task("work", "w1")
        private_postgres.restart()
        assert store.terminate(held.task_id, "w1").status == "terminated"
        assert store.create_task({"topic": "work"}).record_ver == 1
    finally:
        store.close()
