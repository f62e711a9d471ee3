"""The leased panel sizes to its rows, within a share of the screen that ``+`` and
``-`` change and the next run remembers; empty, it is one line. The topic
column is as wide as the longest topic name. Every screen keeps its list
usable at 80x24."""

from __future__ import annotations

import json

import pytest
from textual.widgets import DataTable

from sokka_tui.screens.topics import TOPIC_WIDTH
from sokka_tui.state import state_path
from sokka_tui.widgets.leased_panel import (
    COLUMNS,
    DEFAULT_SHARE,
    NARROWEST,
    SHARE_RANGE,
    LeasedPanel,
    column_widths,
)
from sokka_tui.widgets.tables import rows_in_view
from stores.base import StoreOptions
from stores.sqlite.store import SQLiteStore
from tests.tui.conftest import SIZE, open_topic, settle

SMALL = (80, 24)


@pytest.fixture
def open_store(tmp_path, clock):
    """``open_store(leased=n, topics=[...])``: a real SQLite store on the test clock
    with ``n`` running tasks in the first topic and one waiting task in each topic."""
    opened = []

    def make(leased: int = 0, topics: tuple[str, ...] = ("mail",)):
        store = SQLiteStore.open(f"sqlite://{tmp_path}/s{len(opened)}.db", StoreOptions(lease_time_ms=600_000),
                                 clock=clock)
        opened.append(store)
        store.create_tasks([{"task_id": f"run-{i:03d}", "topic": topics[0]} for i in range(leased)])
        for _ in range(leased):
            store.reserve_task(topics[0], "worker-1")
        store.create_tasks([{"task_id": f"wait-{topic}", "topic": topic} for topic in topics])
        return store

    yield make
    for store in opened:
        store.close()


def visible_rows(table: DataTable) -> int:
    return min(table.row_count, rows_in_view(table)) if table.display else 0


async def test_an_empty_panel_is_one_line_and_the_list_gets_the_rest(open_store, make_app):
    app = make_app(open_store(leased=0))
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        panel = app.screen.query_one(LeasedPanel)
        assert panel.outer_size.height == 1
        assert "no leased tasks" in str(app.screen.query_one("#leased-title").render())
        topics = app.screen.query_one("#topics", DataTable)
        # 24 lines: the status bar, the title, the panel's line and the footer; the rest is the list.
        assert topics.outer_size.height == 24 - 4
        tasks = await open_topic(pilot, "mail")
        assert tasks.table.outer_size.height >= 24 - 7  # (and the filter and action lines)


async def test_the_panel_follows_its_rows_up_to_its_share(open_store, make_app):
    app = make_app(open_store(leased=3))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        panel = app.screen.query_one(LeasedPanel)
        assert visible_rows(panel.table) == 3
        assert panel.outer_size.height == 3 + 3  # border, title, headings and its three rows

    app = make_app(open_store(leased=70))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        panel = app.screen.query_one(LeasedPanel)
        assert panel.outer_size.height == int(SIZE[1] * DEFAULT_SHARE)
        assert visible_rows(panel.table) == int(SIZE[1] * DEFAULT_SHARE) - 3


async def test_plus_and_minus_change_the_share_and_the_next_run_remembers_it(open_store, make_app):
    store = open_store(leased=70)
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        panel = app.screen.query_one(LeasedPanel)
        before = panel.outer_size.height
        await pilot.press("plus")
        await pilot.pause()
        assert panel.outer_size.height > before
        await pilot.press("equals_sign")  # = is + without shift on a US keyboard
        await pilot.pause()
        grown = panel.outer_size.height
        assert app.leased_share == pytest.approx(DEFAULT_SHARE + 0.1)
        tasks = await open_topic(pilot, "mail")
        assert tasks.query_one(LeasedPanel).outer_size.height == grown  # every screen: one share
        for _ in range(30):
            await pilot.press("minus")
        await pilot.pause()
        assert app.leased_share == SHARE_RANGE[0]
        assert tasks.query_one(LeasedPanel).outer_size.height == max(5, int(SIZE[1] * SHARE_RANGE[0]))
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen.query_one(LeasedPanel).outer_size.height == max(5, int(SIZE[1] * SHARE_RANGE[0]))
    assert json.loads(state_path().read_text()) == {"leased_share": SHARE_RANGE[0]}
    again = make_app(store)
    assert again.leased_share == SHARE_RANGE[0]


@pytest.mark.parametrize("content", ["{not json", "[1, 2]", '{"leased_share": "big"}', '{"leased_share": 7}'])
def test_a_corrupt_state_file_is_ignored(open_store, make_app, content):
    path = state_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content)
    assert make_app(open_store()).leased_share == DEFAULT_SHARE


async def test_an_unwritable_state_directory_is_ignored(open_store, make_app, tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("SOKKA_STATE_DIR", str(blocker / "state"))  # its parent is a file: cannot be made
    app = make_app(open_store(leased=70))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("plus")
        await pilot.pause()
        assert app.leased_share == pytest.approx(DEFAULT_SHARE + 0.05)
        assert not app._notifications  # nothing to say: only the panel's height is not remembered


async def test_the_topic_column_is_as_wide_as_the_longest_name(open_store, make_app):
    app = make_app(open_store(topics=("mail", "billing.invoices.monthly")))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        column = next(iter(app.screen.query_one("#topics", DataTable).columns.values()))
        assert column.width == len("billing.invoices.monthly")
    app = make_app(open_store(topics=("a", "b")))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        column = next(iter(app.screen.query_one("#topics", DataTable).columns.values()))
        assert column.width == TOPIC_WIDTH[0]


@pytest.mark.parametrize("size", [SMALL, SIZE], ids=["80x24", "160x48"])
async def test_every_screen_shows_rows_of_its_list(frozen_store, make_app, size):
    """At 80x24 as at 160x48, the list of each screen shows rows next to the panel."""
    app = make_app(frozen_store)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        topics = app.screen.query_one("#topics", DataTable)
        assert visible_rows(topics) == topics.row_count  # a handful of topics: all in sight
        panel = app.screen.query_one(LeasedPanel)
        assert panel.outer_size.height <= int(size[1] * DEFAULT_SHARE)
        assert visible_rows(panel.table) >= 2
        tasks = await open_topic(pilot, "emails")
        assert visible_rows(tasks.table) >= (8 if size == SMALL else 12)
        await pilot.press("enter")  # the task's detail
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("o")  # the owners
        await settle(pilot)
        owners = app.screen.query_one("#owners", DataTable)
        assert visible_rows(owners) == owners.row_count >= 2
        await pilot.press("escape")
        await pilot.press("A")  # the audit trail
        await settle(pilot)
        audit = app.screen.query_one("#audit", DataTable)  # (no records in this store: its height)
        assert audit.outer_size.height >= (8 if size == SMALL else 12)


def test_narrow_screens_narrow_the_id_columns_until_the_table_fits():
    assert column_widths(160) == dict(COLUMNS)  # room for all: as designed
    at_120 = column_widths(120)
    assert sum(width + 2 for width in at_120.values()) + 2 <= 120
    assert at_120["Topic"] == NARROWEST["Topic"] and at_120["Owner"] == NARROWEST["Owner"]
    at_80 = column_widths(80)
    assert all(at_80[heading] == narrowest for heading, narrowest in NARROWEST.items())  # no narrower: it scrolls


@pytest.mark.parametrize("width", [120, 130])
async def test_at_120_columns_the_owner_is_in_sight_and_cut_with_an_ellipsis(tmp_path, clock, make_app, width):
    store = SQLiteStore.open(f"sqlite://{tmp_path}/owners.db", StoreOptions(lease_time_ms=600_000), clock=clock)
    try:
        store.create_task({"task_id": "t1", "topic": "billing.invoices.reconciliation"})
        store.reserve_task("billing.invoices.reconciliation", "ip-10-0-7-44.eu-west-1.compute.internal:2071")
        app = make_app(store)
        async with app.run_test(size=(width, 30)) as pilot:
            await settle(pilot)
            panel = app.screen.query_one(LeasedPanel)
            table = panel.table
            assert table.virtual_size.width <= table.scrollable_content_region.width  # no sideways scroll
            owner = str(table.get_row_at(0)[5])
            assert owner.endswith(":2071") and "…" in owner and len(owner) <= panel.widths["Owner"]
            assert "…" in str(table.get_row_at(0)[4])  # the topic, cut in the middle
            await pilot.resize_terminal(160, 30)
            await settle(pilot)
            assert len(str(table.get_row_at(0)[5])) == dict(COLUMNS)["Owner"]  # wider again: more of the owner
    finally:
        store.close()
