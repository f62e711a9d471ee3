"""The console in the operator's zone (``--tz``): the header names it, every
absolute time is in it with its offset, times typed in the filter form are read
in it; relative times and countdowns do not change."""

from __future__ import annotations

import re

from textual.widgets import DataTable, Input, Label

from sokka_tui.render import absolute, relative
from sokka_tui.screens.audit import AuditScreen
from sokka_tui.screens.filter import FilterModal
from sokka_tui.screens.task_detail import TaskDetailScreen
from sokka_tui.timezones import parse_zone
from sokka_tui.widgets.status_bar import OutageBanner, StatusBar
from stores.audit import Operator
from stores.base import StoreOptions
from stores.sqlite.store import SQLiteStore
from tests.tui.conftest import SIZE, open_topic, settle
from tests.tui.dataset import FROZEN_MS, fill
from tests.tui.test_screens import static_text

BERLIN = parse_zone("Europe/Berlin")


def header(app) -> str:
    return str(app.screen.query_one(StatusBar).render())


async def test_the_header_names_the_zone_utc_by_default(frozen_store, make_app):
    async with make_app(frozen_store).run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert header(pilot.app).endswith("  tz UTC")
    async with make_app(frozen_store, zone=BERLIN).run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert header(pilot.app).endswith("  tz Europe/Berlin (+01:00)")  # November: winter time


async def test_a_tasks_times_are_in_the_zone_its_countdown_unchanged(frozen_store, make_app, clock):
    task = frozen_store.task("email-002")
    assert task is not None and task.lease_expires_at is not None
    async with make_app(frozen_store, zone=BERLIN).run_test(size=SIZE) as pilot:
        await settle(pilot)
        pilot.app.push_screen(TaskDetailScreen("email-002"))
        await settle(pilot)
        fields = static_text(pilot.app.screen, "#fields")
        for at in (task.created_at, task.updated_at, task.lease_expires_at):
            assert absolute(at, BERLIN) in fields and absolute(at, BERLIN).endswith(" +01:00")
        assert relative(task.created_at, clock()) in fields  # "… ago": no zone in it
        assert " UTC" not in fields


async def test_the_filter_form_reads_and_shows_times_in_the_zone(frozen_store, make_app):
    async with make_app(frozen_store, zone=BERLIN).run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_topic(pilot, "emails")
        await pilot.press("F")
        await settle(pilot)
        form = pilot.app.screen
        assert isinstance(form, FilterModal)
        hints = [str(label.render()) for label in form.query(Label)]
        assert "Updated since / until (15m, 2h ago, or Europe/Berlin 2026-11-29 08:00)" in hints
        since = form.query_one("#since", Input)
        since.value = "2026-11-18 11:30"  # Berlin: 10:30 UTC
        since.focus()
        await pilot.press("enter")
        await settle(pilot)
        assert screen.task_query.from_ms == FROZEN_MS - (36 * 60 + 40) * 1000
        assert "updated since 2026-11-18 11:30:00.000 +01:00" in static_text(screen, "#filter-line")
        await pilot.press("F")
        await settle(pilot)
        assert pilot.app.screen.query_one("#since", Input).value == "2026-11-18 11:30:00"  # as typed, in the zone


async def test_the_audit_trail_shows_each_record_with_its_offset(tmp_path, clock, make_app):
    url = f"sqlite://{tmp_path}/console.db"
    seeder = SQLiteStore.open(url, StoreOptions(lease_time_ms=60_000), clock=clock)
    fill(seeder, clock)
    store = SQLiteStore.open(url, StoreOptions(lease_time_ms=60_000, operator=Operator("ops", "h", "sokka-tui")),
                             clock=clock)
    store.terminate("email-012", None, record_ver=1)
    try:
        async with make_app(store, zone=BERLIN).run_test(size=SIZE) as pilot:
            await settle(pilot)
            pilot.app.push_screen(AuditScreen())
            await settle(pilot)
            table = pilot.app.screen.query_one("#audit", DataTable)
            assert next(str(column.label) for column in table.columns.values()) == "When"
            at = store.audit_log(None, {"limit": 1}).data[0].at
            assert str(table.get_row_at(0)[0]) == BERLIN.cell(at, "%m-%d %H:%M:%S")
            assert re.fullmatch(r"11-18 12:\d\d:\d\d \+01:00", str(table.get_row_at(0)[0]))
            await pilot.press("S")  # sorting by time still works under the zone's heading
            await settle(pilot)
    finally:
        store.close()
        seeder.close()


async def test_an_outage_is_dated_in_the_zone(frozen_store, make_app):
    async with make_app(frozen_store, zone=BERLIN).run_test(size=SIZE) as pilot:
        await settle(pilot)
        frozen_store.close()
        await pilot.press("R")
        await settle(pilot)
        banner = str(pilot.app.screen.query_one(OutageBanner).render())
        assert re.search(r"since 12:\d\d:\d\d \+01:00: ", banner), banner
