"""10,000 expired leases revoked from the console on PostgreSQL: under 10 s, with
the console answering keys throughout. Prints the figures it measured."""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from textual import events
from textual.widgets import Input

import stores
from sokka_tui.clock import system_clock
from sokka_tui.leases import DEFAULT_GRACE_MS
from sokka_tui.screens.bulk_preview import BulkPreviewModal
from sokka_tui.screens.bulk_run import BulkRunScreen
from stores.bulk import BulkOutcome
from tests.servers import PG_URL, drop_namespace, new_namespace
from tests.tui.conftest import SIZE, settle
from tests.waiting import until

TASKS = 10_000


@pytest.fixture
def expired_store():
    namespace = new_namespace("scale")
    # A fleet that takes everything with a 30 s lease, then dies: the leases must
    # all be taken before the first one ends, or the fleet would re-take its own.
    # Its commits need not be durable (this machine's disk takes ~12 ms per fsync);
    # libpq's options pass through the URL. The console's own writes stay durable.
    fleet_url = PG_URL + ("&" if "?" in PG_URL else "?") + "options=-c%20synchronous_commit%3Doff"
    dying = stores.open_store(fleet_url, namespace=namespace, lease_time_ms=30_000)
    store = stores.open_store(PG_URL, namespace=namespace, lease_time_ms=60_000)
    t0 = time.monotonic()
    dying.create_tasks({"topic": "incident"} for _ in range(TASKS))
    t1 = time.monotonic()

    def take_all(worker: int) -> int:
        latest = 0
        while (task := dying.reserve_task("incident", f"dead-{worker}")) is not None:
            latest = max(latest, task.lease_expires_at)
        return latest

    with ThreadPoolExecutor(8) as pool:
        latest = max(pool.map(take_all, range(8)))
    t2 = time.monotonic()
    while store.now_ms() <= latest + DEFAULT_GRACE_MS:  # every lease ends, and is past the console's grace
        time.sleep(0.2)
    (stats,) = store.topics()
    assert stats.expired_leases == TASKS, stats
    print(f"\nsetup: created {TASKS:,} in {t1 - t0:.1f} s, reserved them in {t2 - t1:.1f} s")
    yield store
    dying.close()
    store.close()
    drop_namespace("postgres", namespace)


async def answer_time(app, run: BulkRunScreen, key: str) -> float:
    """Seconds from a key reaching the console to the run screen having handled
    it ("1" lists every outcome, "2" the done ones). Not ``pilot.press``: that
    also waits for the whole process to go idle (up to 1 s, twice), and the run's
    worker thread keeps it busy, so it timed the harness rather than the console."""
    wanted = None if key == "1" else "done"
    pressed = time.monotonic()
    app.post_message(events.Key(key, key))
    while run.shown != wanted:
        if time.monotonic() - pressed > 10:
            raise AssertionError(f"the key {key!r} was not handled within 10 s")
        await asyncio.sleep(0.002)
    return time.monotonic() - pressed


@pytest.mark.postgres
async def test_revoke_ten_thousand_expired_leases(expired_store, make_app):
    app = make_app(expired_store, clock=system_clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("X")  # on the topics screen: the selected (only) topic
        await until(pilot, lambda: isinstance(app.screen, BulkPreviewModal), timeout=60)
        await settle(pilot)
        assert len(app.screen.marks) == TASKS
        app.screen.query_one("#confirm-word", Input).value = "incident"
        started = time.monotonic()
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, BulkRunScreen), interval=0.01)
        run = app.screen
        latencies = []
        while run.running:
            latencies.append(await answer_time(app, run, "2" if run.shown is None else "1"))
            await asyncio.sleep(0.05)
        elapsed = time.monotonic() - started
        await settle(pilot)
    done = sum(1 for r in run.results if r.outcome == BulkOutcome.DONE)
    assert run.failure is None, run.failure
    latencies = latencies or [0.0]  # the run ended before the first key: nothing to wait for
    median = sorted(latencies)[len(latencies) // 2]
    print(f"\nrevoked {done:,} expired leases in {elapsed:.2f} s; key latency during the run: "
          f"median {median * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms over {len(latencies)} presses")
    assert done == TASKS
    assert elapsed < 10
    assert max(latencies) < 1.0  # never a freeze a person would notice
    assert expired_store.topics()[0].counts["starting"] == TASKS
