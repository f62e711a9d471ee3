"""Snapshot tests of every screen and modal: a real SQLite store with a frozen
clock and fixed data, no live refresh, cursor blink off, loads awaited."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable, Input

from sokka_tui.timezones import parse_zone
from tests.tui.conftest import SIZE, settle

BERLIN = parse_zone("Europe/Berlin")


async def _steady(pilot) -> None:
    await settle(pilot)
    for field in pilot.app.screen.query(Input):
        field.cursor_blink = False
    await pilot.pause()


async def _open(pilot, topic: str, task_id: str | None = None, detail: bool = False) -> None:
    await _steady(pilot)
    topics = pilot.app.screen.query_one("#topics", DataTable)
    topics.move_cursor(row=topics.get_row_index(topic))
    await pilot.press("enter")
    await _steady(pilot)
    if task_id is not None:
        table = pilot.app.screen.query_one("#tasks", DataTable)
        table.move_cursor(row=table.get_row_index(task_id))
        await pilot.pause()
        if detail:
            await pilot.press("enter")
    await _steady(pilot)


@pytest.fixture
def snap(snap_compare, frozen_store, make_app):
    def take(run_before, **app_kwargs):
        return snap_compare(make_app(frozen_store, **app_kwargs), terminal_size=SIZE, run_before=run_before)

    return take


def test_topics_screen(snap):
    assert snap(_steady)


def test_topics_screen_read_only(snap):
    assert snap(_steady, read_only=True)


def test_tasks_screen(snap):
    async def run_before(pilot):
        await _open(pilot, "emails", "email-002")

    assert snap(run_before)


def test_task_detail_failed_with_traceback(snap):
    async def run_before(pilot):
        await _open(pilot, "billing.invoices", "invoice-001", detail=True)

    assert snap(run_before)


def test_task_detail_running_with_countdown(snap):
    async def run_before(pilot):
        await _open(pilot, "emails", "email-002", detail=True)

    assert snap(run_before)


def test_task_detail_in_a_zone(snap):
    """``--tz Europe/Berlin``: the header names the zone, every time has its offset."""

    async def run_before(pilot):
        await _open(pilot, "emails", "email-002", detail=True)

    assert snap(run_before, zone=BERLIN)


def test_group_screen(snap):
    async def run_before(pilot):
        await _open(pilot, "emails", "email-005")
        await pilot.press("g")
        await _steady(pilot)

    assert snap(run_before)


def test_help_modal(snap):
    async def run_before(pilot):
        await _open(pilot, "emails", "email-002")
        await pilot.press("question_mark")
        await _steady(pilot)

    assert snap(run_before)


def test_confirm_modal(snap):
    async def run_before(pilot):
        await _open(pilot, "emails", "email-002")
        await pilot.press("t")
        await _steady(pilot)

    assert snap(run_before)


def test_snooze_modal_refusing_input(snap):
    async def run_before(pilot):
        await _open(pilot, "emails", "email-002")
        await pilot.press("s")
        await _steady(pilot)
        await pilot.press(*"-5m")
        await pilot.press("enter")
        await _steady(pilot)

    assert snap(run_before)


def test_fail_modal(snap):
    async def run_before(pilot):
        await _open(pilot, "emails", "email-003")
        await pilot.press("f")
        await _steady(pilot)

    assert snap(run_before)


def test_filter_modal(snap):
    async def run_before(pilot):
        await _open(pilot, "emails")
        await pilot.press("F")
        await _steady(pilot)

    assert snap(run_before)


def test_changed_modal(snap, frozen_store):
    async def run_before(pilot):
        await _open(pilot, "emails", "email-002")
        frozen_store.extend_lease("email-002", "worker-b2:5151")  # changes under the operator
        await pilot.press("t")
        await _steady(pilot)
        await pilot.press("y")
        await _steady(pilot)

    assert snap(run_before)


def test_changed_modal_in_a_zone(snap, frozen_store):
    """The two times with their offsets still fit the dialog side by side."""

    async def run_before(pilot):
        await _open(pilot, "emails", "email-002")
        frozen_store.extend_lease("email-002", "worker-b2:5151")
        await pilot.press("t")
        await _steady(pilot)
        await pilot.press("y")
        await _steady(pilot)

    assert snap(run_before, zone=BERLIN)


def test_filter_modal_in_a_zone(snap):
    """The hint says times are read in the zone; a time set shows in it."""

    async def run_before(pilot):
        await _open(pilot, "emails")
        await pilot.press("F")
        await _steady(pilot)
        since = pilot.app.screen.query_one("#since", Input)
        since.value = "2026-11-18 11:30"
        since.focus()
        await pilot.press("enter")
        await _steady(pilot)
        await pilot.press("F")
        await _steady(pilot)

    assert snap(run_before, zone=BERLIN)


def test_outage_banner(snap, frozen_store):
    async def run_before(pilot):
        await _steady(pilot)
        frozen_store.close()  # every call now fails: the console must say so and keep going
        await pilot.press("R")
        await _steady(pilot)

    assert snap(run_before)


async def _mark_emails(pilot, *task_ids: str) -> None:
    await _open(pilot, "emails")
    table = pilot.app.screen.query_one("#tasks", DataTable)
    for task_id in task_ids:
        table.move_cursor(row=table.get_row_index(task_id))
        await pilot.press("space")
    await _steady(pilot)


def test_marked_tasks(snap):
    async def run_before(pilot):
        await _mark_emails(pilot, "email-001", "email-002", "email-005")

    assert snap(run_before)


def test_bulk_preview(snap):
    async def run_before(pilot):
        await _mark_emails(pilot, "email-001", "email-002", "email-005", "email-010")
        await pilot.press("r")
        await _steady(pilot)

    assert snap(run_before)


def test_bulk_preview_typed_confirmation(snap, frozen_store, clock):
    frozen_store.create_tasks([{"task_id": f"bulk-{i:03d}", "topic": "emails"} for i in range(120)])

    async def run_before(pilot):
        await _open(pilot, "emails")
        await pilot.press("asterisk")
        await _steady(pilot)
        # The "132 tasks marked" toast lasts 5 s of wall time: on a slow run it is
        # gone before the picture, on a fast one not; the picture is of the dialog.
        pilot.app.clear_notifications()
        await pilot.press("t")
        await _steady(pilot)

    assert snap(run_before)


def test_bulk_results(snap, frozen_store):
    async def run_before(pilot):
        await _mark_emails(pilot, "email-001", "email-002", "email-003", "email-005")
        frozen_store.extend_lease("email-003", "worker-b2:5151")  # changes after marking
        await pilot.press("r")
        await _steady(pilot)
        await pilot.click("#confirm")
        for _ in range(20):
            await _steady(pilot)
            if not getattr(pilot.app.screen, "running", True):
                break

    assert snap(run_before)


def test_owners_screen(snap):
    async def run_before(pilot):
        await _steady(pilot)
        await pilot.press("o")
        await _steady(pilot)

    assert snap(run_before)
