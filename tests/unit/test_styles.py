"""Status and lease-state colours stay distinct when the terminal has fewer colours:
under tmux's ``tmux-256color`` Rich downgrades to 256 colours, on a plain
``xterm`` or the Linux console to 16, and two statuses must never share one."""

from __future__ import annotations

from itertools import combinations

import pytest
from rich.color import ColorSystem
from rich.style import Style

from sokka_tui import styles
from sokka_tui.leases import LeaseState
from stores import TaskStatus

#: Every status and lease state the console colours, as an operator names them.
SHOWN = {
    "starting": styles.STATUS_STYLES[TaskStatus.STARTING],
    "running": styles.STATUS_STYLES[TaskStatus.RUNNING],
    "snoozed": styles.STATUS_STYLES[TaskStatus.SNOOZED],
    "failed": styles.STATUS_STYLES[TaskStatus.FAILED],
    "terminated": styles.STATUS_STYLES[TaskStatus.TERMINATED],
    "STUCK": styles.LEASE_STYLES[LeaseState.STUCK],
    "expiring": styles.LEASE_STYLES[LeaseState.EXPIRING],
    "WAKE DUE": styles.LEASE_STYLES[LeaseState.WAKE_DUE],
}


def colour(style: str, system: ColorSystem | None):
    color = Style.parse(style).color
    assert color is not None, f"{style!r} has no colour: it would look like plain text"
    if system is None:
        return color.get_truecolor()
    downgraded = color.downgrade(system)
    return downgraded.number


@pytest.mark.parametrize("system", [None, ColorSystem.EIGHT_BIT, ColorSystem.STANDARD], ids=["truecolor", "256", "16"])
def test_every_status_has_its_own_colour(system):
    seen = {name: colour(style, system) for name, style in SHOWN.items()}
    same = [(a, b) for a, b in combinations(seen, 2) if seen[a] == seen[b]]
    assert not same, f"same colour in {system}: {same} ({seen})"


def test_the_screens_colour_statuses_from_the_one_table():
    from sokka_tui.screens import audit, tasks

    assert tasks.STATUS_STYLES is styles.STATUS_STYLES
    assert audit.status_style is styles.status_style
    assert styles.status_style("snoozed") == styles.SNOOZED and styles.status_style("no-such") == ""
