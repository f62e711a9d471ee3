"""Failures at a glance and re-runs, on every backend: the task list's Error
column, the failures view (E) with its groups, enter listing a group's tasks,
re-running one failed task (N) and every task of a group in bulk."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable

from sokka_tui.clock import system_clock
from sokka_tui.screens.bulk_preview import BulkPreviewModal
from sokka_tui.screens.bulk_run import BulkRunScreen
from sokka_tui.screens.confirm import ConfirmModal
from sokka_tui.screens.failures import FailuresScreen
from sokka_tui.screens.task_detail import TaskDetailScreen
from sokka_tui.screens.tasks import TasksScreen
from stores import TaskStatus
from stores.bulk import BulkOutcome
from tests.tui.conftest import SIZE, open_topic, settle
from tests.waiting import until

ERRORS = ["timeout\nat step 1", "timeout\nat step 2", "disk full", "timeout", "[/] \x1b[2J"]


@pytest.fixture
def live_app(make_app):
    def make(store, **kwargs):
        return make_app(store, clock=system_clock, **kwargs)

    return make


def fail_all(store, topic: str, errors: list[str]) -> list:
    out = []
    for error in errors:
        task = store.create_task({"topic": topic, "task_description": "nightly", "data": {"n": len(out)}})
        assert store.reserve_task(topic, "w").task_id == task.task_id
        out.append(store.fail(task.task_id, "w", error))
    return out


async def open_failures(pilot, topic: str) -> FailuresScreen:
    table = pilot.app.screen.query_one("#topics", DataTable)
    table.move_cursor(row=table.get_row_index(topic))
    await pilot.press("E")
    await settle(pilot)
    assert isinstance(pilot.app.screen, FailuresScreen)
    return pilot.app.screen


def error_column(screen: TasksScreen) -> dict[str, str]:
    index = [column.label.plain for column in screen.table.ordered_columns].index("Error")
    return {key: str(screen.table.get_row(key)[index]) for key in screen.tasks}


async def test_error_column_shows_the_first_line(make_store, live_app):
    store = make_store()
    failed = fail_all(store, "ec", ["boom\ntraceback line", "x" * 300, ""])
    running = store.create_task({"topic": "ec"})
    async with live_app(store).run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_topic(pilot, "ec")
        cells = error_column(screen)
        assert cells[failed[0].task_id] == "boom"
        assert cells[failed[1].task_id].endswith("…") and len(cells[failed[1].task_id]) == 20
        assert cells[failed[2].task_id] == "(no error text)"
        assert cells[running.task_id] == ""


async def test_failures_view_groups_and_lists_a_group(make_store, live_app):
    store = make_store()
    failed = fail_all(store, "fv", ERRORS)
    store.create_task({"topic": "fv"})
    async with live_app(store).run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_failures(pilot, "fv")
        table = screen.table
        assert str(table.get_row_at(0)[1]) == "timeout"
        assert str(table.get_row_at(0)[0]) == "3"
        title = str(screen.query_one("#failures-title").content)
        assert "3 errors in 5 failed tasks" in title
        await pilot.press("enter")
        await settle(pilot)
        tasks = pilot.app.screen
        assert isinstance(tasks, TasksScreen)
        assert set(tasks.tasks) == {failed[0].task_id, failed[1].task_id, failed[3].task_id}
        assert "error 'timeout'" in str(tasks.query_one("#filter-line").content)
        await pilot.press("escape")
        await settle(pilot)
        assert pilot.app.screen is screen


PY_TRACEBACK = (
    'Traceback (most recent call last):\n  File "/srv/jobs.py", line 9, in run\n    charge(card)\n'
    "billing.CardDeclined: insufficient funds\n"
)


async def test_python_tracebacks_show_and_group_by_their_exception(make_store, live_app):
    store = make_store()
    failed = fail_all(store, "tb", [PY_TRACEBACK, PY_TRACEBACK.replace("run", "retry"), "disk full"])
    async with live_app(store).run_test(size=SIZE) as pilot:
        await settle(pilot)
        tasks = await open_topic(pilot, "tb")
        cells = error_column(tasks)
        assert cells[failed[0].task_id] == "billing.CardDecline…"  # the exception line, cut to the 20 cells
        await pilot.press("escape")
        await settle(pilot)
        screen = await open_failures(pilot, "tb")
        groups = {str(screen.table.get_row_at(i)[1]): str(screen.table.get_row_at(i)[0])
                  for i in range(screen.table.row_count)}
        assert groups == {"billing.CardDeclined: insufficient funds": "2", "disk full": "1"}
        await pilot.press("enter")  # the biggest group first
        await settle(pilot)
        assert set(pilot.app.screen.tasks) == {failed[0].task_id, failed[1].task_id}


async def test_rerun_one_failed_task_from_its_screen(make_store, live_app):
    store = make_store()
    (original,) = fail_all(store, "r1", ["boom"])
    async with live_app(store).run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_topic(pilot, "r1")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(pilot.app.screen, TaskDetailScreen)
        await pilot.press("N")
        await until(pilot, lambda: isinstance(pilot.app.screen, ConfirmModal))
        question = str(pilot.app.screen.query_one(".dialog-body").content)
        assert original.task_id in question and "as a new task" in question and "version 3" in question
        await pilot.press("y")
        await settle(pilot)
        reruns = [t for t in store.list_tasks({"topic": "r1", "status": "starting"}).data]
        assert len(reruns) == 1
        assert reruns[0].task_description == f"re-run of {original.task_id}: nightly"
        assert store.task(original.task_id) == original


async def test_rerun_is_refused_on_a_running_task_and_hidden_read_only(make_store, live_app):
    store = make_store()
    store.create_task({"topic": "r2"})
    store.reserve_task("r2", "w")
    async with live_app(store).run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_topic(pilot, "r2")
        assert screen.check_action("rerun_task", ()) is None  # shown dimmed
        await pilot.press("N")
        await pilot.pause()
        assert not isinstance(pilot.app.screen, ConfirmModal)
    reader = make_store(read_only=True, namespace=store.namespace)
    async with live_app(reader).run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_topic(pilot, "r2")
        assert screen.check_action("rerun_task", ()) is False


async def test_rerun_a_whole_group_in_bulk(make_store, live_app):
    store = make_store()
    failed = fail_all(store, "rg", ERRORS)
    async with live_app(store).run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_failures(pilot, "rg")
        await pilot.press("N")
        await until(pilot, lambda: isinstance(pilot.app.screen, BulkPreviewModal))
        preview = pilot.app.screen
        assert preview.action == "rerun" and len(preview.marks) == 3
        await pilot.press("y")
        await until(pilot, lambda: isinstance(pilot.app.screen, BulkRunScreen))
        run = pilot.app.screen
        await until(pilot, lambda: not run.running)
        assert [r.outcome for r in run.results] == [BulkOutcome.DONE] * 3
        assert all(r.reason.startswith("Re-run as ") for r in run.results)
        assert screen is not None
    new = store.list_tasks({"topic": "rg", "status": "starting"}).data
    expected = sorted(f"re-run of {failed[i].task_id}: nightly" for i in (0, 1, 3))
    assert sorted(t.task_description for t in new) == expected
    assert all(store.task(t.task_id).status == TaskStatus.FAILED for t in failed)


async def test_rerun_marked_tasks(make_store, live_app):
    store = make_store()
    failed = fail_all(store, "rm", ["a", "b"])
    async with live_app(store).run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_topic(pilot, "rm")
        await pilot.press("asterisk")
        await until(pilot, lambda: len(screen.marks) == 2)
        await pilot.press("N")
        await until(pilot, lambda: isinstance(pilot.app.screen, BulkPreviewModal))
        await pilot.press("y")
        await until(pilot, lambda: isinstance(pilot.app.screen, BulkRunScreen))
        run = pilot.app.screen
        await until(pilot, lambda: not run.running)
        assert {r.task_id for r in run.results if r.outcome == BulkOutcome.DONE} == {t.task_id for t in failed}


async def test_audit_view_links_a_rerun_both_ways(make_store, live_app):
    from sokka_tui.screens.audit import AuditScreen
    from stores.audit import Operator

    store = make_store(operator=Operator("ops", "console", "test"))
    (original,) = fail_all(store, "ra", ["boom"])
    new = store.rerun_task(original.task_id, original.record_ver)
    async with live_app(store).run_test(size=SIZE) as pilot:
        await settle(pilot)
        pilot.app.open_audit(original.task_id)
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, AuditScreen)
        table = screen.query_one("#audit", DataTable)
        table.move_cursor(row=0)  # newest first: the re-run
        await pilot.pause()
        assert str(table.get_row_at(0)[3]) == "rerun"
        assert new.task_id in str(screen.query_one("#audit-title").content)
        await pilot.press("L")
        await settle(pilot)
        assert isinstance(pilot.app.screen, TaskDetailScreen)
        assert pilot.app.screen.task_id == new.task_id
        await pilot.press("A")
        await settle(pilot)
        table = pilot.app.screen.query_one("#audit", DataTable)
        assert str(table.get_row_at(0)[8]).startswith("← ")
        await pilot.press("L")
        await settle(pilot)
        assert pilot.app.screen.task_id == original.task_id


async def test_a_lost_rerun_is_settled_from_the_trail(make_store):
    from sokka_tui.actions import Action, Request
    from sokka_tui.settle import Attempt
    from sokka_tui.settle import settle as settle_request
    from stores.audit import Operator

    store = make_store(operator=Operator("ops", "console", "test"))
    first, second = fail_all(store, "rs", ["a", "b"])
    sent_at = store.now_ms()
    new = store.rerun_task(first.task_id, first.record_ver)
    applied = settle_request(store, Request(Action.RERUN, first), Attempt(sent_at, None))
    assert applied.applied is True and new.task_id in applied.message()
    not_applied = settle_request(store, Request(Action.RERUN, second), Attempt(sent_at, None))
    assert not_applied.applied is False
    blind = make_store(namespace=store.namespace)  # no operator: no trail to tell
    assert settle_request(blind, Request(Action.RERUN, first)).applied is None
