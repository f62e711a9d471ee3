"""How a paused topic is said, alike in the console and the ``sokka`` command
(plain text; the console styles it). No Textual here: ``sokka`` imports it.

A pause is judged on the store's clock (``now_ms`` is the store's time as the
caller last measured it): ``PAUSED 9m 12s left`` for a timed pause,
``PAUSED until resumed`` for one without an end.
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text

from sokka_tui.render import format_duration, safe_text
from sokka_tui.styles import PAUSED_STYLE, PAUSED_TEXT_STYLE
from sokka_tui.timezones import UTC, Zone
from stores import TopicPause
from stores.audit import AuditEntry, parse_pause_detail

#: The longest pause the console and ``sokka pause --for`` take: 30 days.
MAX_PAUSE_MS = 30 * 86_400_000
#: The word a paused topic wears.
PAUSED = "PAUSED"


def by_topic(pauses: Iterable[TopicPause]) -> dict[str, TopicPause]:
    return {pause.topic: pause for pause in pauses}


def time_left(pause: TopicPause, now_ms: int) -> str:
    """``9m 12s left`` (``now`` under a second), or ``until resumed``."""
    left = pause.left_ms(now_ms)
    if left is None:
        return "until resumed"
    return "ends now" if left < 1000 else f"{format_duration(left)} left"


def state(pause: TopicPause, now_ms: int) -> str:
    """``PAUSED 9m 12s left`` or ``PAUSED until resumed``."""
    return f"{PAUSED} {time_left(pause, now_ms)}"


def summary(pause: TopicPause, now_ms: int) -> str:
    """One line: the state, the reason and who paused it (not cleaned: the caller renders it)."""
    parts = [state(pause, now_ms)]
    if pause.reason:
        parts.append(pause.reason)
    line = ": ".join(parts)
    return f"{line} (by {pause.paused_by})" if pause.paused_by else line


def until_text(pause: TopicPause, zone: Zone = UTC) -> str:
    """When it ends, in ``zone``: ``until 2026-12-05 08:00:00 UTC`` or ``until resumed``."""
    return "until resumed" if pause.until_ms is None else f"until {zone.format(pause.until_ms, millis=False)}"


def audit_detail(entry: AuditEntry) -> str:
    """A pause record's detail as people read it: ``for 10m 00s: reason`` (from
    the record's time), ``until resumed: reason``; other records' detail as stored."""
    if entry.action != "pause":
        return entry.detail
    until, reason = parse_pause_detail(entry.detail)
    how_long = "until resumed" if until is None else f"for {format_duration(max(until - entry.at, 0))}"
    return f"{how_long}: {reason}" if reason else how_long


def styled(pause: TopicPause, now_ms: int, *, reason: bool = True, max_length: int = 200) -> Text:
    """``PAUSED`` (reverse video) then the time left and, with ``reason``, the reason,
    the store's text made safe (``render.safe_text``); at most ``max_length``
    cells in all, the reason cut with ``…``."""
    text = Text()  # (a style given to Text() would cover everything appended too)
    text.append(f" {PAUSED} ", style=PAUSED_STYLE)
    text.append(f" {time_left(pause, now_ms)}", style=PAUSED_TEXT_STYLE)
    room = max_length - len(text) - 2
    if reason and pause.reason and room > 0:
        text.append(": ", style=PAUSED_TEXT_STYLE)
        text.append_text(safe_text(pause.reason, PAUSED_TEXT_STYLE, max_length=room))
    return text
