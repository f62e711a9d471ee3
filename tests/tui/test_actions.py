"""Pilot tests of the operator's actions on every backend, on real servers."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable, Input

from sokka_tui.clock import system_clock
from sokka_tui.screens.changed import ChangedModal
from sokka_tui.screens.confirm import ConfirmModal
from sokka_tui.screens.prompt import FailModal, SnoozeModal
from sokka_tui.screens.task_detail import TaskDetailScreen
from sokka_tui.screens.tasks import TasksScreen
from sokka_tui.widgets.leased_panel import LeasedPanel
from sokka_tui.widgets.status_bar import StatusBar
from tests.tui.conftest import SIZE, settle
from tests.tui.dataset import fill
from tests.unit.test_durations import BAD_DURATIONS


@pytest.fixture
def live_store(make_store):
    store = make_store(lease_time_ms=60_000)
    fill(store)
    return store


@pytest.fixture
def live_app(make_app):
    def make(store, **kwargs):
        return make_app(store, clock=system_clock, **kwargs)

    return make


async def open_task_in_list(pilot, topic: str, task_id: str) -> TasksScreen:
    topics = pilot.app.screen.query_one("#topics", DataTable)
    topics.move_cursor(row=topics.get_row_index(topic))
    await pilot.press("enter")
    await settle(pilot)
    screen = pilot.app.screen
    screen.table.move_cursor(row=screen.table.get_row_index(task_id))
    await pilot.pause()
    return screen


async def type_into(pilot, text: str) -> None:
    field = pilot.app.screen.query_one(Input)
    field.value = text
    await pilot.pause()


async def test_snooze_asks_a_duration_then_confirms(live_store, live_app):
    app = live_app(live_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_task_in_list(pilot, "emails", "email-002")
        seen = live_store.task("email-002")
        await pilot.press("s")
        await pilot.pause()
        assert isinstance(app.screen, SnoozeModal)
        await type_into(pilot, "1h30m")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmModal)
        question = str(app.screen.question)
        assert "email-002" in question and "(running, v" in question and "for 1h 30m" in question
        await pilot.press("y")
        await settle(pilot)
        after = live_store.task("email-002")
        assert after.status == "snoozed" and after.snooze_time == 5_400_000
        assert after.record_ver == seen.record_ver + 1
        assert str(app.screen.tasks["email-002"].status) == "snoozed"  # the list shows it


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_snooze_refuses_bad_durations(live_store, live_app):
    """Each refused input keeps the modal open with a reason; nothing reaches the store.
    The refusal is the console's, before any store is asked: every bad input is a
    unit test (tests/unit/test_durations.py); this checks the modal's wiring with
    a sample (markup and escape sequences among them) on the default backend."""
    typed_inputs = BAD_DURATIONS[::3]
    app = live_app(live_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_task_in_list(pilot, "emails", "email-002")
        before = live_store.task("email-002")
        for typed in typed_inputs:
            await pilot.press("s")
            await pilot.pause()
            assert isinstance(app.screen, SnoozeModal)
            await type_into(pilot, typed)
            await pilot.press("enter")
            await pilot.pause()
            assert isinstance(app.screen, SnoozeModal), typed  # refused in the modal, with a reason
            reason = str(app.screen.query_one("#reason").content)
            assert reason and not reason.startswith("=") and "\x1b" not in reason, (typed, reason)
            await pilot.press("escape")
            await pilot.pause()
            assert app.is_running and app.screen is screen, typed
            after = live_store.task("email-002")
            assert after.record_ver == before.record_ver and after == before, typed  # nothing sent


async def test_fail_asks_the_error_text(live_store, live_app):
    app = live_app(live_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_task_in_list(pilot, "emails", "email-003")
        await pilot.press("f")
        await pilot.pause()
        assert isinstance(app.screen, FailModal)
        assert app.screen.query_one(Input).value == "failed by operator ops@console"
        await type_into(pilot, "   ")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, FailModal)  # an empty reason is refused
        await type_into(pilot, "poison message [bold]x[/], see INC-42")
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("y")
        await settle(pilot)
        after = live_store.task("email-003")
        assert (after.status, after.error, after.pid) == ("failed", "poison message [bold]x[/], see INC-42", None)


async def test_terminate_a_starting_task_from_detail(live_store, live_app):
    app = live_app(live_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_task_in_list(pilot, "emails", "email-010")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, TaskDetailScreen)
        await pilot.press("t")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("y")
        await settle(pilot)
        assert live_store.task("email-010").status == "terminated"
        assert app.screen.shown_task.status == "terminated"


async def test_revoke_a_stuck_lease_from_the_leased_panel(live_store, live_app):
    app = live_app(live_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        panel = app.screen.query_one(LeasedPanel)
        panel.table.focus()
        panel.table.move_cursor(row=panel.table.get_row_index("email-001"))
        await pilot.pause()
        await pilot.press("r")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmModal) and "email-001" in str(app.screen.question)
        await pilot.press("y")
        await settle(pilot)
        revoked = live_store.task("email-001")
        assert (revoked.status, revoked.pid, revoked.lease_expires_at) == ("starting", None, None)


async def test_cancel_writes_nothing(live_store, live_app):
    app = live_app(live_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_task_in_list(pilot, "emails", "email-002")
        before = live_store.task("email-002")
        for key in ("t", "r"):
            await pilot.press(key)
            await pilot.pause()
            assert isinstance(app.screen, ConfirmModal)
            await pilot.press("enter")  # focus starts on Cancel
            await pilot.pause()
            assert isinstance(app.screen, TasksScreen)
        await pilot.press("t")
        await pilot.pause()
        await pilot.press("n")
        await settle(pilot)
        assert live_store.task("email-002") == before


async def test_refused_because_the_task_changed(live_store, live_app):
    app = live_app(live_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_task_in_list(pilot, "emails", "email-002")
        seen = screen.current_task()
        live_store.extend_lease("email-002", seen.pid)  # the worker renews meanwhile
        changed = live_store.task("email-002")
        await pilot.press("t")
        await pilot.pause()
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, ChangedModal)
        rows = {name: (before, after) for name, before, after in
                __import__("sokka_tui.actions", fromlist=["changes"]).changes(seen, app.screen.now)}
        assert rows["record_ver"] == (seen.record_ver, changed.record_ver)
        assert live_store.task("email-002") == changed  # nothing written
        await pilot.press("escape")
        await settle(pilot)
        assert screen.tasks["email-002"].record_ver == changed.record_ver  # fresh state shown


async def test_forbidden_actions_are_dimmed_and_do_nothing(live_store, live_app):
    app = live_app(live_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_task_in_list(pilot, "emails", "email-005")  # failed: final
        for action in ("snooze_task", "fail_task", "terminate_task", "revoke_lease"):
            assert screen.check_action(action, ()) is None
        for key in ("s", "f", "t", "r"):
            await pilot.press(key)
            await pilot.pause()
            assert app.screen is screen
        line = str(screen.query_one("#task-actions").content)
        assert "final status allows no change" in line
        screen.table.move_cursor(row=screen.table.get_row_index("email-010"))  # starting
        await pilot.pause()
        assert screen.check_action("snooze_task", ()) is None
        assert screen.check_action("terminate_task", ()) is True
        assert "Only a running task can be snoozed" in str(screen.query_one("#task-actions").content)


async def test_read_only_console_starts_no_action(live_store, live_app, make_store):
    reader = make_store(read_only=True, namespace=live_store.namespace)
    app = live_app(reader)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "READ-ONLY" in str(app.screen.query_one(StatusBar).render())
        screen = await open_task_in_list(pilot, "emails", "email-002")
        before = live_store.task("email-002")
        for action in ("snooze_task", "fail_task", "terminate_task", "revoke_lease"):
            assert screen.check_action(action, ()) is False
        for key in ("s", "f", "t", "r"):
            await pilot.press(key)
            await pilot.pause()
            assert app.screen is screen
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, TaskDetailScreen)  # reading still works everywhere
        assert live_store.task("email-002") == before
