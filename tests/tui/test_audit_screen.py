"""The audit trail in the console: actions taken here are recorded, and the
audit screen lists the records newest first, live, filterable by task."""

from __future__ import annotations

import asyncio

import pytest
from textual.widgets import DataTable, Input

from sokka_tui.clock import system_clock
from sokka_tui.screens.audit import AuditScreen
from sokka_tui.screens.confirm import ConfirmModal
from sokka_tui.screens.prompt import TaskIdModal
from sokka_tui.screens.task_detail import TaskDetailScreen
from sokka_tui.timezones import parse_zone
from stores.audit import Operator
from stores.base import StoreOptions
from stores.bulk import BulkItem
from stores.sqlite.store import SQLiteStore
from tests.tui.conftest import SIZE, settle
from tests.tui.dataset import fill

OPS = Operator("ops", "console-host", "sokka-tui")


@pytest.fixture
def audited(make_store):
    """The dataset written by a worker's store, and the console's store, which records."""
    seeder = make_store(lease_time_ms=60_000)
    fill(seeder)
    return make_store(namespace=seeder.namespace, lease_time_ms=60_000, operator=OPS)


def rows(screen) -> list[list[str]]:
    table = screen.query_one("#audit", DataTable)
    return [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]


async def test_an_action_in_the_console_is_recorded_and_shown_from_its_task(audited, make_app):
    app = make_app(audited, clock=system_clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.push_screen(TaskDetailScreen("email-010"))
        await settle(pilot)
        await pilot.press("t")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("y")
        await settle(pilot)
        await pilot.press("A")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, AuditScreen) and screen.task_id == "email-010"
        (row,) = rows(screen)
        assert row[1].startswith("ops@console-") and row[2] == "sokka-tui"  # the Tool, as `sokka audit`
        assert row[3] == "terminate" and row[4] == "email-010"
        assert row[6] == "starting → terminated" and row[7] == "1→2"
        assert "1 record," in str(screen.query_one("#audit-title").render())
    (entry,) = audited.audit_log("email-010").data
    assert (entry.user, entry.host, entry.tool, entry.action) == ("ops", "console-host", "sokka-tui", "terminate")


async def test_the_whole_trail_filter_by_task_and_open_a_task(audited, make_app):
    task = audited.reserve_task("emails", "ops-shell")
    audited.revoke_lease(task.task_id, task.record_ver)
    await asyncio.sleep(0.005)  # Redis orders records of different topics made in the same ms by topic
    audited.apply_bulk("fail", [BulkItem("invoice-003", 1, None)], error="[red]no[/]", batch_id="fail-run")
    app = make_app(audited, clock=system_clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("A")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, AuditScreen) and screen.task_id is None
        shown = rows(screen)
        assert [(r[3], r[4]) for r in shown] == [
            ("fail", "invoice-003"), ("revoke", task.task_id), ("reserve", task.task_id),
        ]
        assert shown[0][8] == "[red]no[/]" and shown[0][9] == "fail-run"  # literal, not markup
        assert shown[2][8] == "by ops-shell"

        await pilot.press("F")
        await pilot.pause()
        assert isinstance(app.screen, TaskIdModal)
        app.screen.query_one(Input).value = task.task_id
        await pilot.press("enter")
        await settle(pilot)
        assert screen.task_id == task.task_id
        assert [r[3] for r in rows(screen)] == ["revoke", "reserve"]

        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, TaskDetailScreen) and app.screen.task_id == task.task_id
        await pilot.press("escape")
        await pilot.press("F")
        await pilot.pause()
        app.screen.query_one(Input).value = ""
        await pilot.press("enter")  # empty: every task again
        await settle(pilot)
        assert screen.task_id is None and len(rows(screen)) == 3


async def test_a_read_only_console_shows_the_trail_and_offers_no_action(audited, make_app, make_store):
    audited.revoke_lease(*(lambda t: (t.task_id, t.record_ver))(audited.reserve_task("emails", "w")))
    reader = make_store(namespace=audited.namespace, read_only=True)
    app = make_app(reader, clock=system_clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("A")
        await settle(pilot)
        assert isinstance(app.screen, AuditScreen)
        assert [r[3] for r in rows(app.screen)] == ["revoke", "reserve"]
        for action in ("snooze_task", "fail_task", "terminate_task", "revoke_lease"):
            assert app.screen.check_action(action, ()) is False


def test_audit_screen_snapshot(snap_compare, tmp_path, clock, make_app):
    assert _audit_snapshot(snap_compare, tmp_path, clock, make_app)


def test_audit_screen_in_a_zone_snapshot(snap_compare, tmp_path, clock, make_app):
    """``--tz Europe/Berlin``: heading ``When``, each time with its offset."""
    assert _audit_snapshot(snap_compare, tmp_path, clock, make_app, zone=parse_zone("Europe/Berlin"))


def _audit_snapshot(snap_compare, tmp_path, clock, make_app, **app_kwargs) -> bool:
    url = f"sqlite://{tmp_path}/console.db"
    seeder = SQLiteStore.open(url, StoreOptions(lease_time_ms=60_000), clock=clock)
    fill(seeder, clock)
    store = SQLiteStore.open(url, StoreOptions(lease_time_ms=60_000, operator=OPS), clock=clock)
    held = seeder.reserve_task("emails", "worker-7")
    clock.advance(1_000)
    store.snooze(held.task_id, held.pid, 300_000, record_ver=held.record_ver)
    clock.advance(1_000)
    store.apply_bulk("fail", [BulkItem(f"invoice-00{n}", 1, None) for n in (3, 4)],
                     error="customer \x1b[31mcancelled[/]", batch_id="fail-7f3a")
    clock.advance(1_000)
    store.terminate("email-012", None, record_ver=1)

    async def run_before(pilot):
        await settle(pilot)
        await pilot.press("A")
        await settle(pilot)

    try:
        return snap_compare(make_app(store, **app_kwargs), terminal_size=SIZE, run_before=run_before)
    finally:
        store.close()
        seeder.close()
