"""Bulk triage on every backend: marking, mark-all over several pages, every bulk
action with a task changed mid-way, confirmation, cancel, and the triage views."""

from __future__ import annotations

import asyncio

import psycopg
import pytest
from psycopg import sql
from textual.widgets import DataTable, Input

from sokka_tui.clock import system_clock
from sokka_tui.screens.bulk_preview import BulkPreviewModal
from sokka_tui.screens.bulk_run import BulkRunScreen
from sokka_tui.screens.owners import OwnersScreen
from sokka_tui.screens.prompt import FailModal, SnoozeModal
from sokka_tui.screens.tasks import TasksScreen
from stores.bulk import BulkOutcome
from tests.servers import PG_URL
from tests.tui.conftest import SIZE, finish_run, open_topic, settle
from tests.waiting import until


@pytest.fixture
def live_app(make_app):
    def make(store, **kwargs):
        return make_app(store, clock=system_clock, **kwargs)

    return make




async def test_space_marks_and_esc_clears(make_store, live_app):
    store = make_store()
    store.create_tasks([{"task_id": f"m{i}", "topic": "marks"} for i in range(5)])
    app = live_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_topic(pilot, "marks")
        first = screen.current_task().task_id
        await pilot.press("space")
        assert first in screen.marks and screen.current_task().task_id != first  # moved down
        await pilot.press("space", "space")
        assert len(screen.marks) == 3
        assert str(screen.table.get_row(first)[0]) == "●"
        assert "3 marked" in str(screen.query_one("#title").content)
        await pilot.press("space")
        await pilot.press("k")
        await pilot.press("space")  # unmark the last one
        assert len(screen.marks) == 3
        await pilot.press("escape")
        assert len(screen.marks) == 0 and app.screen is screen  # esc cleared marks, did not leave
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, TasksScreen)


async def test_mark_all_spans_pages_and_freezes_versions(make_store, live_app):
    store = make_store()
    store.create_tasks([{"topic": "many"} for _ in range(1_100)])  # three pages of 500
    store.create_task({"topic": "other"})
    app = live_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_topic(pilot, "many")
        assert screen.table.row_count == 100  # the list itself stays paged
        await pilot.press("asterisk")
        await until(pilot, lambda: len(screen.marks) == 1_100)
        assert {item.record_ver for item in screen.marks.items()} == {1}
        assert screen.marks.topics() == ["many"]


@pytest.mark.parametrize("action", ["revoke", "terminate", "fail", "snooze"])
async def test_bulk_action_skips_a_task_changed_mid_way(make_store, live_app, action):
    store = make_store(lease_time_ms=60_000)
    store.create_tasks([{"task_id": f"b{i}", "topic": "bulk"} for i in range(6)])
    running = [store.reserve_task("bulk", f"w{i}") for i in range(6)]
    app = live_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_topic(pilot, "bulk")
        await pilot.press("asterisk")
        await until(pilot, lambda: len(screen.marks) == 6)
        changed = running[2]
        store.extend_lease(changed.task_id, changed.pid)  # moves on after it was marked
        before = store.task(changed.task_id)
        await pilot.press({"revoke": "r", "terminate": "t", "fail": "f", "snooze": "s"}[action])
        await pilot.pause()
        if action == "snooze":
            assert isinstance(app.screen, SnoozeModal)
            app.screen.query_one(Input).value = "10m"
            await pilot.press("enter")
        elif action == "fail":
            assert isinstance(app.screen, FailModal)
            app.screen.query_one(Input).value = "bulk: upstream down"
            await pilot.press("enter")
        await pilot.pause()
        preview = app.screen
        assert isinstance(preview, BulkPreviewModal)
        assert "running 6" in str(preview.query("Static")[2].content)
        await pilot.click("#confirm")
        run = await finish_run(pilot)
        outcomes = {r.task_id: r.outcome for r in run.results}
        assert outcomes.pop(changed.task_id) == BulkOutcome.SKIPPED
        assert set(outcomes.values()) == {BulkOutcome.DONE}
        assert store.task(changed.task_id) == before  # nothing written to it
        target = {"revoke": "starting", "terminate": "terminated", "fail": "failed", "snooze": "snoozed"}[action]
        assert all(store.task(task_id).status == target for task_id in outcomes)
        await pilot.press("m")  # re-mark the skipped one, at its version now
        await settle(pilot)
        await until(pilot, lambda: len(screen.marks) == 1)
        assert screen.marks.items()[0].record_ver == before.record_ver


async def test_over_a_hundred_needs_the_topic_typed(make_store, live_app):
    store = make_store()
    store.create_tasks([{"topic": "big"} for _ in range(150)])
    app = live_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_topic(pilot, "big")
        await pilot.press("asterisk")
        await until(pilot, lambda: len(screen.marks) == 150)
        await pilot.press("t")
        await pilot.pause()
        preview = app.screen
        assert isinstance(preview, BulkPreviewModal) and preview.needs_typing
        preview.query_one("#confirm-word", Input).value = "bog"
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is preview and "nothing is sent" in str(preview.query_one("#reason").content)
        assert store.topics()[0].counts["starting"] == 150
        preview.query_one("#confirm-word", Input).value = "big"
        await pilot.press("enter")
        run = await finish_run(pilot)
        assert len(run.results) == 150 and store.topics()[0].counts["terminated"] == 150


async def test_cancel_half_way(make_store, live_app, backend):
    if backend == "redis":
        pytest.skip("needs a way to hold the store mid-run; SQLite and PostgreSQL take a lock")
    store = make_store()
    store.create_tasks([{"task_id": f"c{i:04d}", "topic": "cancel"} for i in range(1_000)])
    app = live_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_topic(pilot, "cancel")
        await pilot.press("asterisk")
        await until(pilot, lambda: len(screen.marks) == 1_000)
        with hold_writes(store, backend, screen.marks.items()[0].task_id):  # in the first chunk
            await pilot.press("t")
            await pilot.pause()
            app.screen.query_one("#confirm-word", Input).value = "cancel"
            await pilot.press("enter")
            await until(pilot, lambda: isinstance(app.screen, BulkRunScreen))
            run = app.screen
            await pilot.press("c")  # the first chunk waits on the lock: cancel lands first
            await pilot.pause(0.3)  # let the cancel key be handled while the chunk waits
        await until(pilot, lambda: not run.running)
        done = [r.task_id for r in run.results if r.outcome == BulkOutcome.DONE]
        assert 0 < len(done) < 1_000 and len(done) + len(run.unsent) == 1_000
        assert all(store.task(item.task_id).status == "starting" for item in run.unsent)
        assert all(store.task(task_id).status == "terminated" for task_id in done)


class hold_writes:
    """Hold the store's write lock from another connection (a real lock, not a fake)."""

    def __init__(self, store, backend: str, task_id: str) -> None:
        self.store, self.backend, self.task_id = store, backend, task_id

    def __enter__(self):
        if self.backend == "sqlite":
            import sqlite3

            self.conn = sqlite3.connect(self.store.path, isolation_level=None)
            self.conn.execute("BEGIN IMMEDIATE")
        else:
            self.conn = psycopg.connect(PG_URL)
            self.conn.execute(
                sql.SQL("SELECT 1 FROM {}.tasks WHERE task_id = %s FOR UPDATE").format(
                    sql.Identifier(self.store.namespace)
                ),
                (self.task_id,),
            )
        return self

    def __exit__(self, *exc_info) -> None:
        self.conn.rollback() if self.backend == "postgres" else self.conn.execute("ROLLBACK")
        self.conn.close()


async def test_stuck_classes_and_revoke_expired(make_store, live_app):
    short = make_store(lease_time_ms=300)  # the workers that will die
    store = make_store(lease_time_ms=60_000, namespace=short.namespace)  # live ones, and the console
    for i in range(6):
        store.create_task({"task_id": f"s{i}", "topic": "stuck"})
        await asyncio.sleep(0.002)
    expired = {short.reserve_task("stuck", "dead-worker").task_id for _ in range(3)}  # s0-s2
    napping = store.reserve_task("stuck", "w")  # s3
    store.snooze(napping.task_id, "w", 200)
    healthy = store.reserve_task("stuck", "live")  # s4, leased for a minute
    await asyncio.sleep(0.5)  # the short leases and the snooze end by the store's clock; s5 waits
    app = live_app(store, stuck_after_ms=100, expiring_grace_ms=0)  # ended is stuck at once (no grace)

    def shown(screen) -> set[str]:
        return {screen.table.get_row_at(i)[1].plain for i in range(screen.table.row_count)}

    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_topic(pilot, "stuck")
        await pilot.press("2")
        await settle(pilot)
        assert shown(screen) == expired
        await pilot.press("3")
        await settle(pilot)
        assert shown(screen) == {napping.task_id}
        await pilot.press("1")
        await settle(pilot)
        assert shown(screen) == {"s5"}
        await pilot.press("1")  # the same key again clears it
        await settle(pilot)
        assert screen.task_query.stuck is None and len(shown(screen)) == 6
        await pilot.press("X")
        await until(pilot, lambda: isinstance(app.screen, BulkPreviewModal))
        await settle(pilot)
        await pilot.press("y")  # confirms from the keyboard (under 100 tasks, no typing)
        run = await finish_run(pilot)
        assert {r.task_id for r in run.results if r.outcome == BulkOutcome.DONE} == expired
        assert store.task(healthy.task_id).status == "running"
        assert store.task(napping.task_id).status == "snoozed"


async def test_owners_view_and_revoke_an_owner(make_store, live_app):
    store = make_store(lease_time_ms=60_000)
    store.create_tasks([{"topic": "own"} for _ in range(5)])
    dead = [store.reserve_task("own", "dead:1") for _ in range(3)]
    alive = [store.reserve_task("own", "alive:2") for _ in range(2)]
    app = live_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("o")
        await settle(pilot)
        owners = app.screen
        assert isinstance(owners, OwnersScreen)
        assert {pid: len(o.tasks) for pid, o in owners.owners.items()} == {"dead:1": 3, "alive:2": 2}
        table = owners.query_one("#owners", DataTable)
        table.move_cursor(row=table.get_row_index("dead:1"))
        await pilot.press("r")
        await until(pilot, lambda: isinstance(app.screen, BulkPreviewModal))
        await pilot.click("#confirm")
        await finish_run(pilot)
        assert all(store.task(t.task_id).status == "starting" for t in dead)
        assert all(store.task(t.task_id).status == "running" for t in alive)
