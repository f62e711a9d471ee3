"""Snapshots at 80x24 (a laptop's split pane, tmux's default): the topics and
task lists keep rows in sight next to the leased panel."""

from __future__ import annotations

import pytest

from tests.tui.test_snapshots import _open, _steady

SMALL = (80, 24)


@pytest.fixture
def snap_small(snap_compare, frozen_store, make_app):
    def take(run_before):
        return snap_compare(make_app(frozen_store), terminal_size=SMALL, run_before=run_before)

    return take


def test_topics_screen_80x24(snap_small):
    assert snap_small(_steady)


def test_tasks_screen_80x24(snap_small):
    async def run_before(pilot):
        await _open(pilot, "emails", "email-002")

    assert snap_small(run_before)
