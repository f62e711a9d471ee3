"""What the bulk previews and results say: what they act on (an owner's leases,
a topic's expired leases, marked tasks), the count that will be sent, reasons
that do not repeat their row's id; the results screen's header and leased
panel; a final task's actions said once; the changed-meanwhile table whole."""

from __future__ import annotations

import os

from rich.console import Console
from textual.widgets import Button, DataTable, Static

from sokka_tui.screens.bulk_preview import BulkPreviewModal
from sokka_tui.screens.changed import ChangedModal
from sokka_tui.screens.owners import OwnersScreen
from sokka_tui.screens.task_detail import TaskDetailScreen
from sokka_tui.widgets.leased_panel import LeasedPanel
from sokka_tui.widgets.status_bar import StatusBar
from stores.bulk import BulkOutcome
from tests.tui.conftest import SIZE, finish_run, open_topic, settle
from tests.waiting import until


def shown(widget: Static, width: int | None = None) -> str:
    """What a ``Static`` shows, as plain text, at ``width`` (its own by default)."""
    console = Console(width=width or widget.content_region.width, record=True, color_system=None,
                      file=open(os.devnull, "w"))  # noqa: SIM115
    console.print(widget.content)
    return console.export_text()


def every_text(screen) -> str:
    return "\n".join(shown(static, 200) for static in screen.query(Static) if not isinstance(static, Button))


async def mark(pilot, topic: str, *task_ids: str):
    screen = await open_topic(pilot, topic)
    for task_id in task_ids:
        screen.table.move_cursor(row=screen.table.get_row_index(task_id))
        await pilot.press("space")
    await settle(pilot)
    return screen


async def preview_of(pilot, key: str) -> BulkPreviewModal:
    await pilot.press(key)
    await until(pilot, lambda: isinstance(pilot.app.screen, BulkPreviewModal))
    await settle(pilot)
    return pilot.app.screen


def title_of(preview: BulkPreviewModal) -> str:
    return shown(preview.query_one(".dialog-title", Static), 200).strip()


async def test_revoking_an_owner_names_the_owner_and_not_marks(frozen_store, make_app):
    app = make_app(frozen_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("o")
        await settle(pilot)
        owners = app.screen
        assert isinstance(owners, OwnersScreen)
        table = owners.query_one("#owners", DataTable)
        for pid, headline in (
            ("worker-b2:5151", "Revoke the leases of 2 tasks held by worker-b2:5151?"),
            ("worker-a1:4242", "Revoke the lease of 1 task held by worker-a1:4242?"),
        ):
            table.move_cursor(row=table.get_row_index(pid))
            preview = await preview_of(pilot, "r")
            assert title_of(preview) == headline
            assert "marked" not in every_text(preview).lower()
            await pilot.press("escape")
            await settle(pilot)


async def test_revoking_expired_leases_names_them_and_the_topic(frozen_store, make_app):
    app = make_app(frozen_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_topic(pilot, "emails")
        preview = await preview_of(pilot, "X")
        assert title_of(preview) == "Revoke 1 expired lease in emails?"
        assert "marked" not in every_text(preview).lower()


async def test_the_button_names_the_tasks_that_will_be_sent(frozen_store, make_app):
    app = make_app(frozen_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await mark(pilot, "emails", "email-002", "email-005", "email-006")  # running, failed, terminated
        preview = await preview_of(pilot, "t")
        assert title_of(preview) == "Terminate 3 marked tasks?"
        assert str(preview.query_one("#confirm", Button).label).strip() == "Terminate 1"
        assert "refuses 2 of them: not sent" in every_text(preview) and "1 task will be sent" in every_text(preview)
        await pilot.click("#confirm")
        run = await finish_run(pilot)
        outcomes = {r.task_id: (r.outcome, r.reason) for r in run.results}
        assert outcomes["email-002"][0] == BulkOutcome.DONE
        assert outcomes["email-005"] == (BulkOutcome.REFUSED, "Not sent: a failed task cannot be terminated.")
        assert outcomes["email-006"] == (BulkOutcome.REFUSED, "Not sent: a terminated task cannot be terminated.")
        assert run.query_one(".screen-title", Static).content.plain.startswith("Terminate 3 tasks")
        # Only the one the table allows was sent: the others never reached the store.
        assert [item.task_id for item in run.items] == ["email-002"]


async def test_when_the_table_refuses_every_one_nothing_can_be_sent(frozen_store, make_app):
    app = make_app(frozen_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await mark(pilot, "emails", "email-005", "email-006")
        preview = await preview_of(pilot, "t")
        button = preview.query_one("#confirm", Button)
        assert str(button.label).strip() == "Terminate 0" and button.disabled
        assert "refuses every one of them: nothing to send" in every_text(preview)
        await pilot.press("y")
        await settle(pilot)
        assert app.screen is preview and "nothing is sent" in shown(preview.query_one("#reason", Static), 200)


async def test_result_reasons_do_not_repeat_their_row_id(frozen_store, make_app):
    app = make_app(frozen_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await mark(pilot, "emails", "email-002", "email-003")
        frozen_store.extend_lease("email-003", "worker-b2:5151")  # changes after marking
        preview = await preview_of(pilot, "t")
        await pilot.click("#confirm")
        run = await finish_run(pilot)
        table = run.query_one("#bulk-results", DataTable)
        rows = {str(table.get_row_at(i)[0]): str(table.get_row_at(i)[2]) for i in range(table.row_count)}
        assert rows["email-003"] and "email-003" not in rows["email-003"]
        assert rows["email-003"].startswith("The task changed meanwhile")
        assert preview is not app.screen


async def test_the_results_screen_has_the_header_and_l_toggles_the_leased_panel(frozen_store, make_app):
    app = make_app(frozen_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await mark(pilot, "emails", "email-002")
        await preview_of(pilot, "t")
        await pilot.click("#confirm")
        run = await finish_run(pilot)
        header = str(run.query_one(StatusBar).render())
        assert "test store" in header and "ns " + frozen_store.namespace in header
        panel = run.query_one(LeasedPanel)
        await until(pilot, lambda: panel.table.row_count > 0)
        assert panel.display and "email-003" in panel.tasks
        await pilot.press("l")
        await settle(pilot)
        assert not panel.display and not app.show_leased
        await pilot.press("l")
        await settle(pilot)
        assert panel.display and app.show_leased


async def test_a_final_task_says_why_once(frozen_store, make_app):
    app = make_app(frozen_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.open_task("email-005")
        await settle(pilot)
        detail = app.screen
        assert isinstance(detail, TaskDetailScreen)
        actions = shown(detail.query_one("#task-actions", Static), 200)
        assert "terminate, fail, snooze, revoke: failed is final; no action changes it." in actions
        assert actions.count("final") == 1


async def test_the_changed_table_shows_a_dash_for_none_and_whole_times(frozen_store, make_app):
    app = make_app(frozen_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_topic(pilot, "emails")
        screen.table.move_cursor(row=screen.table.get_row_index("email-002"))
        await settle(pilot)
        frozen_store.revoke_lease("email-002", screen.current_task().record_ver)  # owner and lease gone
        await pilot.press("t")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, ChangedModal)
        table = shown(app.screen.query_one("#changes", Static))
        lines = {line.split()[0]: line for line in table.splitlines() if line.strip()}
        assert lines["pid"].split()[-1] == "—" and lines["lease_expires_at"].split()[-1] == "—"
        assert lines["lease_expires_at"].count("UTC") == 1 and lines["updated_at"].count("UTC") == 2
