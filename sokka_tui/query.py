"""What the task list shows: a topic's tasks under filters, or one group."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from sokka_tui.durations import DurationError, parse_duration
from sokka_tui.render import absolute, clean
from stores import TaskStatus


@dataclass(frozen=True)
class TaskQuery:
    """The task list's query. ``text`` is an exact task id or group id to look up."""

    topic: str | None = None
    status: TaskStatus | None = None
    sub_topic: str | None = None
    from_ms: int | None = None
    to_ms: int | None = None
    text: str | None = None
    group: str | None = None

    def filters(self) -> dict:
        """The ``list_tasks`` filters of this query."""
        names = ("topic", "status", "sub_topic", "from_ms", "to_ms")
        return {name: getattr(self, name) for name in names if getattr(self, name) is not None}

    @property
    def filtered(self) -> bool:
        return any(v is not None for v in (self.status, self.sub_topic, self.from_ms, self.to_ms, self.text))

    def cleared(self) -> TaskQuery:
        return replace(self, status=None, sub_topic=None, from_ms=None, to_ms=None, text=None)

    def describe(self) -> str:
        """The active filter in one line (store text cleaned of control characters)."""
        if self.group is not None:
            return f"group {clean(self.group)!r}"
        parts = []
        if self.status is not None:
            parts.append(f"status={self.status}")
        if self.sub_topic is not None:
            parts.append(f"sub-topic={clean(self.sub_topic)!r}")
        if self.from_ms is not None:
            parts.append(f"updated since {absolute(self.from_ms)}")
        if self.to_ms is not None:
            parts.append(f"updated until {absolute(self.to_ms)}")
        if self.text is not None:
            parts.append(f"id or group = {clean(self.text)!r}")
        return ", ".join(parts) if parts else "no filter"


def parse_moment(text: str, now_ms: int) -> int | None:
    """A time the operator typed: empty (none), a duration ago (``15m``), or UTC
    ``YYYY-MM-DD[ HH:MM[:SS]]``. Raises ``ValueError`` with the reason."""
    text = text.strip()
    if not text:
        return None
    try:
        return now_ms - parse_duration(text, maximum_ms=10 * 365 * 86_400_000)
    except DurationError:
        pass
    for pattern in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d"):
        try:
            moment = dt.datetime.strptime(text, pattern).replace(tzinfo=dt.UTC)
        except ValueError:
            continue
        return int(moment.timestamp() * 1000)
    raise ValueError(f"Not a time: {text[:40]!r}. Use a duration ago (15m, 2h) or UTC 2026-11-29 08:00.")
