"""Parsing the durations an operator types: ``30s``, ``5m``, ``2h``, ``1h30m``, ``1500ms``."""

from __future__ import annotations

import re

from sokka_tui.render import format_duration

UNITS_MS = {"ms": 1, "s": 1_000, "m": 60_000, "h": 3_600_000, "d": 86_400_000}
#: The longest snooze the console will send: 30 days.
MAX_SNOOZE_MS = 30 * 86_400_000
# ASCII digits only: ``\d`` also takes other scripts' digits.
_PART = re.compile(r"([0-9]+)(ms|s|m|h|d)")
#: Longer input is refused outright (a paste gone wrong; and Python refuses to
#: convert numbers of thousands of digits).
MAX_INPUT_CHARS = 64


class DurationError(ValueError):
    """A duration the operator typed that we refuse; the message says why."""


def parse_duration(text: str, *, maximum_ms: int = MAX_SNOOZE_MS) -> int:
    """Milliseconds in ``text``; raises ``DurationError`` with a reason to show."""
    cleaned = text.strip().lower().replace(" ", "")
    if not cleaned:
        raise DurationError("Type a duration such as 30s, 5m or 2h.")
    if len(cleaned) > MAX_INPUT_CHARS:
        raise DurationError(f"Too long for a duration ({len(cleaned):,} characters).")
    if cleaned.startswith("-"):
        raise DurationError("A duration cannot be negative.")
    position, total = 0, 0
    for match in _PART.finditer(cleaned):
        if match.start() != position:
            break
        total += int(match.group(1)) * UNITS_MS[match.group(2)]
        position = match.end()
    if position != len(cleaned) or position == 0:
        raise DurationError(
            f"Not a duration: {text.strip()[:40]!r}. Use a number and a unit: ms, s, m, h or d (e.g. 90s, 1h30m)."
        )
    if total <= 0:
        raise DurationError("A duration must be longer than zero.")
    if total > maximum_ms:
        days, rest = divmod(maximum_ms, 86_400_000)
        raise DurationError(f"At most {days} days." if days and not rest else f"At most {format_duration(maximum_ms)}.")
    return total


def format_hint(ms: int) -> str:
    """What a parsed duration means, shown while typing: ``= 1h 30m``."""
    return f"= {format_duration(ms)}"
