"""Pausing a topic from the console, on every backend: ``p`` asks how long (empty:
until resumed) and why, confirms, pauses; ``P`` confirms and resumes; the topics
screen, the tasks screen's title, the task screen's title and the leased panel
show PAUSED with the time left and the reason."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable, Input, Static

from sokka_tui.clock import system_clock
from sokka_tui.screens.confirm import ConfirmModal
from sokka_tui.screens.pause import PauseModal
from sokka_tui.screens.tasks import TasksScreen
from sokka_tui.screens.topics import TopicsScreen
from sokka_tui.widgets.leased_panel import LeasedPanel
from stores.audit import Operator
from tests.tui.conftest import SIZE, open_topic, settle
from tests.tui.dataset import HOSTILE_TOPIC, fill
from tests.waiting import until


@pytest.fixture
def live_store(make_store):
    store = make_store(lease_time_ms=60_000)
    fill(store)
    return store


@pytest.fixture
def operator_store(make_store, live_store):
    """The console's store: writes recorded for its operator, as the CLI opens it."""
    return make_store(namespace=live_store.namespace, lease_time_ms=60_000,
                      operator=Operator("ops", "console", "sokka-tui"))


@pytest.fixture
def live_app(make_app):
    def make(store, **kwargs):
        return make_app(store, clock=system_clock, **kwargs)

    return make


def _text(widget) -> str:
    return str(widget.render())


def _row_text(table: DataTable, key: str) -> str:
    return " ".join(str(cell) for cell in table.get_row(key))


async def _select_topic(pilot, topic: str) -> DataTable:
    table = pilot.app.screen.query_one("#topics", DataTable)
    await until(pilot, lambda: topic in table.rows)
    table.move_cursor(row=table.get_row_index(topic))
    await pilot.pause()
    return table


async def _answer_pause(pilot, duration: str, reason: str) -> None:
    await until(pilot, lambda: isinstance(pilot.app.screen, PauseModal))
    modal = pilot.app.screen
    modal.query_one("#duration", Input).value = duration
    await pilot.pause()
    await pilot.press("enter")  # on to the reason
    modal.query_one("#why", Input).value = reason
    await pilot.pause()
    await pilot.press("enter")
    await until(pilot, lambda: isinstance(pilot.app.screen, ConfirmModal))


async def test_p_pauses_the_selected_topic_and_P_resumes_it(live_store, operator_store, live_app):
    app = live_app(operator_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = await _select_topic(pilot, "emails")
        await pilot.press("p")
        await _answer_pause(pilot, "10m", "mail relay [red]down[/]")
        question = _text(pilot.app.screen.query_one(".dialog-body", Static))
        assert "Pause topic emails for 10m 00s (mail relay [red]down[/])?" in question
        assert "No worker reserves its tasks meanwhile" in question
        await pilot.press("y")
        await until(pilot, lambda: operator_store.paused_topics())
        (pause,) = live_store.paused_topics()
        assert (pause.topic, pause.reason, pause.paused_by) == ("emails", "mail relay [red]down[/]", "ops@console")
        assert pause.until_ms - pause.paused_at == 600_000
        assert live_store.reserve_task("emails", "w") is None
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, TopicsScreen)
        row = _row_text(table, "emails")
        assert "PAUSED" in row and "left: mail relay…" in row  # the reason cut to the column
        assert "1 topic paused" in _text(screen.query_one("#summary", Static))
        assert "PAUSED" not in _row_text(table, "billing.invoices")
        panel_title = _text(screen.query_one(LeasedPanel).query_one("#leased-title", Static))
        assert "PAUSED" in panel_title and "emails" in panel_title

        await pilot.press("P")
        await until(pilot, lambda: isinstance(pilot.app.screen, ConfirmModal))
        question = _text(pilot.app.screen.query_one(".dialog-body", Static))
        assert "Resume topic emails? It is PAUSED " in question
        assert "mail relay [red]down[/] (by ops@console)" in question
        await pilot.press("y")
        await until(pilot, lambda: not operator_store.paused_topics())
        await settle(pilot)
        assert "PAUSED" not in _row_text(table, "emails")
        assert live_store.reserve_task("emails", "w") is not None
    actions = [(e.action, e.task_id, e.topic) for e in live_store.audit_log().data[:3]]
    assert actions[:2] == [("resume", "", "emails"), ("pause", "", "emails")]


async def test_an_empty_duration_pauses_until_resumed(live_store, live_app):
    app = live_app(live_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await _select_topic(pilot, "billing.invoices")
        await pilot.press("p")
        await until(pilot, lambda: isinstance(pilot.app.screen, PauseModal))
        assert "until resumed with P" in _text(pilot.app.screen.query_one("#reason-duration", Static))
        await _answer_pause(pilot, "", "")
        assert "Pause topic billing.invoices until resumed?" in _text(
            pilot.app.screen.query_one(".dialog-body", Static))
        await pilot.press("y")
        await until(pilot, lambda: live_store.paused_topics())
        (pause,) = live_store.paused_topics()
        assert (pause.topic, pause.until_ms, pause.reason) == ("billing.invoices", None, "")


async def test_bad_durations_are_refused_in_the_prompt(live_store, live_app):
    app = live_app(live_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await _select_topic(pilot, "emails")
        await pilot.press("p")
        await until(pilot, lambda: isinstance(pilot.app.screen, PauseModal))
        modal = pilot.app.screen
        for bad, reason in (("-5m", "cannot be negative"), ("soon", "Not a duration"), ("31d", "At most 30 days")):
            modal.query_one("#duration", Input).value = bad
            await pilot.pause()
            assert reason in _text(modal.query_one("#reason-duration", Static))
        modal.query_one("#why", Input).focus()
        await pilot.press("enter")  # answering with a bad duration: refused, back to the duration
        await pilot.pause()
        assert pilot.app.screen is modal and modal.query_one("#duration", Input).has_focus
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(pilot.app.screen, TopicsScreen)
    assert live_store.paused_topics() == []


async def test_cancelling_writes_nothing(live_store, live_app):
    app = live_app(live_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await _select_topic(pilot, "emails")
        await pilot.press("p")
        await _answer_pause(pilot, "5m", "x")
        await pilot.press("enter")  # the focus starts on Cancel
        await settle(pilot)
        assert isinstance(pilot.app.screen, TopicsScreen)
        await pilot.press("P")  # not paused: dimmed, does nothing
        await pilot.pause()
        assert isinstance(pilot.app.screen, TopicsScreen)
        assert pilot.app.screen.check_action("resume_topic", ()) is None
    assert live_store.paused_topics() == []


async def test_the_tasks_screen_pauses_its_topic_and_says_so(live_store, live_app):
    app = live_app(live_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_topic(pilot, "emails")
        await pilot.press("p")
        await _answer_pause(pilot, "2h", "deploy")
        await pilot.press("y")
        await until(pilot, lambda: live_store.paused_topics())
        await settle(pilot)
        assert pilot.app.screen is screen and isinstance(screen, TasksScreen)
        title = _text(screen.query_one("#title", Static))
        assert title.startswith("Tasks of emails   PAUSED  1h 59m left: deploy  12 loaded")
        leased_title = _text(screen.query_one(LeasedPanel).query_one("#leased-title", Static))
        assert "PAUSED" in leased_title and "deploy" in leased_title  # the panel shows this topic's leases
        screen.table.move_cursor(row=screen.table.get_row_index("email-002"))
        await pilot.press("enter")
        await settle(pilot)
        detail_title = _text(pilot.app.screen.query_one("#detail-title", Static))
        assert "Task email-002  topic emails  PAUSED " in detail_title and "deploy" in detail_title
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("P")
        await until(pilot, lambda: isinstance(pilot.app.screen, ConfirmModal))
        await pilot.press("y")
        await until(pilot, lambda: not live_store.paused_topics())
        await settle(pilot)
        assert "PAUSED" not in _text(screen.query_one("#title", Static))


async def test_a_paused_topic_without_tasks_is_listed_and_can_be_resumed(live_store, live_app):
    live_store.pause_topic("not-yet", reason="wait for go-live")
    app = live_app(live_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = await _select_topic(pilot, "not-yet")
        assert "until resumed: wait for go-live" in _row_text(table, "not-yet")
        await pilot.press("P")
        await until(pilot, lambda: isinstance(pilot.app.screen, ConfirmModal))
        await pilot.press("y")
        await until(pilot, lambda: not live_store.paused_topics())
        await settle(pilot)
        assert "not-yet" not in table.rows


async def test_hostile_reasons_and_topics_are_shown_literally(live_store, live_app):
    live_store.pause_topic(HOSTILE_TOPIC, reason="[b]x[/]\x1b[2J")
    app = live_app(live_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = pilot.app.screen.query_one("#topics", DataTable)
        row = _row_text(table, HOSTILE_TOPIC)
        assert "until resumed: [b]x[/]␛[2J" in row and "\x1b" not in row
        assert pilot.app.is_running


async def test_read_only_consoles_offer_no_pause(live_store, live_app):
    live_store.pause_topic("emails", reason="r")
    app = live_app(live_store, read_only=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = await _select_topic(pilot, "emails")
        assert "PAUSED" in _row_text(table, "emails")  # shown, but nothing to do about it
        screen = pilot.app.screen
        assert screen.check_action("pause_topic", ()) is False
        assert screen.check_action("resume_topic", ()) is False
        await pilot.press("p", "P")
        await pilot.pause()
        assert isinstance(pilot.app.screen, TopicsScreen)
    assert [p.topic for p in live_store.paused_topics()] == ["emails"]


async def test_the_audit_trail_shows_pauses_as_topic_records(live_store, operator_store, live_app):
    operator_store.pause_topic("emails", for_ms=300_000, reason="deploy")
    operator_store.resume_topic("emails")
    app = live_app(operator_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("A")
        await settle(pilot)
        table = pilot.app.screen.query_one("#audit", DataTable)
        await until(pilot, lambda: table.row_count >= 2)
        rows = [[str(cell) for cell in table.get_row_at(i)] for i in range(2)]
        assert [(r[3], r[4], r[5], r[6]) for r in rows] == [
            ("resume", "(the topic)", "emails", "—"), ("pause", "(the topic)", "emails", "—")]
        assert rows[1][8].startswith("for 5m")
        table.move_cursor(row=1)
        await pilot.press("enter")  # a topic record opens the topic's tasks
        await settle(pilot)
        assert isinstance(pilot.app.screen, TasksScreen) and pilot.app.screen.task_query.topic == "emails"
