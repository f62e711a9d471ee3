"""The colours of statuses and lease states, one table for every screen.

Explicit colours, not the terminal's named ANSI ones: Textual turns named
colours into its theme's RGB, and under a 256-colour terminal (tmux's
``tmux-256color``) some of those land on the same palette entry (snoozed and
failed did). Each colour here maps to a different entry when Rich downgrades
it to 256 and to 16 colours (tests/unit/test_styles.py checks it).
"""

from __future__ import annotations

from sokka_tui.leases import LeaseState
from stores import TaskStatus

#: 256: 251, 16: white.
STARTING = "#d0d0d0"
#: 256: 38, 16: cyan.
RUNNING = "#00afd7"
#: 256: 170, 16: bright magenta.
SNOOZED = "#d75fd7"
#: 256: 160, 16: red.
FAILED = "#d70000"
#: 256: 70, 16: green.
TERMINATED = "#5faf00"
#: 256: 203, 16: bright red.
STUCK = "#ff5f5f"
#: 256: 178, 16: yellow.
EXPIRING = "#d7af00"
#: 256: 227, 16: bright yellow.
WAKE_DUE = "#ffff5f"

#: A paused topic's PAUSED mark: reverse video, so it reads apart from an
#: expiring lease's italic label in every palette.
PAUSED_STYLE = f"bold reverse {EXPIRING}"
#: The time left and the reason after the mark.
PAUSED_TEXT_STYLE = f"bold {EXPIRING}"

STATUS_STYLES: dict[TaskStatus, str] = {
    TaskStatus.STARTING: STARTING,
    TaskStatus.RUNNING: RUNNING,
    TaskStatus.SNOOZED: SNOOZED,
    TaskStatus.FAILED: FAILED,
    TaskStatus.TERMINATED: TERMINATED,
}
#: A lease's countdown label, by state (a live one is styled by the time left).
LEASE_STYLES: dict[LeaseState, str] = {
    LeaseState.LIVE: "",
    LeaseState.EXPIRING: f"italic {EXPIRING}",
    LeaseState.WAKING: f"italic {EXPIRING}",
    LeaseState.STUCK: f"bold {STUCK}",
    LeaseState.WAKE_DUE: f"bold {WAKE_DUE}",
}


def status_style(status: str | None) -> str:
    """The style of a status named by a store (``""`` for one this console does not know)."""
    try:
        return STATUS_STYLES[TaskStatus(status or "")]
    except ValueError:
        return ""
