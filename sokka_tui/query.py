"""What the task list shows: a topic's tasks under filters, one group, or the
leases one owner holds."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, replace

from sokka_tui.durations import DurationError, parse_duration
from sokka_tui.render import absolute, clean, truncate
from sokka_tui.timezones import UTC, Zone
from stores import InvalidArgument, TaskStatus
from stores.failures import error_key
from stores.payload import MAX_CONDITIONS, Condition, parse_condition
from stores.payload import matches as payload_matches

#: The stuck classes, each a filter one key away.
STUCK_STARTING = "starting-too-long"
STUCK_EXPIRED = "expired-lease"
STUCK_WAKE_DUE = "wake-due"
STUCK_LABELS = {
    STUCK_STARTING: "starting for too long",
    STUCK_EXPIRED: "running with an expired lease",
    STUCK_WAKE_DUE: "snoozed past its wake time, not picked up",
}


@dataclass(frozen=True)
class TaskQuery:
    """The task list's query. ``text`` is an exact task id or group id to look up;
    ``owner``: the running tasks whose lease that worker (``pid``) holds, in
    ``topic`` or (``None``) every topic (``list_tasks`` has no owner filter:
    they are the leased tasks, soonest expiry first)."""

    topic: str | None = None
    status: TaskStatus | None = None
    sub_topic: str | None = None
    from_ms: int | None = None
    to_ms: int | None = None
    text: str | None = None
    group: str | None = None
    stuck: str | None = None
    owner: str | None = None
    #: One failures group: failed tasks whose error key (``stores.failures.error_key``) is exactly this.
    error_key: str | None = None
    #: Payload conditions (``stores.payload``), ANDed: the list is then a search
    #: of the topic's range, streamed call by call (``screens/tasks.py``).
    data: tuple[Condition, ...] = ()

    def filters(self) -> dict:
        """The ``list_tasks`` filters of this query."""
        names = ("topic", "status", "sub_topic", "from_ms", "to_ms", "error_key")
        filters = {name: getattr(self, name) for name in names if getattr(self, name) is not None}
        if self.data:
            filters["data"] = [condition.to_filter() for condition in self.data]
        return filters

    @property
    def filtered(self) -> bool:
        return bool(self.data) or any(
            v is not None
            for v in (self.status, self.sub_topic, self.from_ms, self.to_ms, self.text, self.stuck, self.error_key)
        )

    @property
    def searches(self) -> bool:
        """A payload search of a topic's range (not a group, an owner's leases or an id)."""
        return bool(self.data) and self.topic is not None and self.group is None and self.owner is None

    def cleared(self) -> TaskQuery:
        return replace(
            self, status=None, sub_topic=None, from_ms=None, to_ms=None, text=None, stuck=None, error_key=None,
            data=(),
        )

    def matches(self, task) -> bool:
        """Whether ``task`` passes the plain filters (for tasks found by id, group or lease)."""
        exact = {"topic": self.topic, "sub_topic": self.sub_topic, "status": self.status}
        if any(value is not None and getattr(task, name) != value for name, value in exact.items()):
            return False
        if self.from_ms is not None and task.updated_at < self.from_ms:
            return False
        if self.error_key is not None and (task.status != TaskStatus.FAILED or error_key(task.error) != self.error_key):
            return False
        if self.data and not payload_matches(task.data, self.data):
            return False
        return self.to_ms is None or task.updated_at <= self.to_ms

    def describe(self, zone: Zone = UTC) -> str:
        """The active filter in one line (store text cleaned of control characters;
        times in ``zone``)."""
        if self.group is not None:
            return f"group {clean(self.group)!r}"
        if self.owner is not None:
            return f"leases of {clean(self.owner)!r}"
        parts = []
        if self.status is not None:
            parts.append(f"status={self.status}")
        if self.error_key is not None:
            parts.append(f"error {truncate(clean(self.error_key), 80)!r}")
        if self.sub_topic is not None:
            parts.append(f"sub-topic={clean(self.sub_topic)!r}")
        if self.from_ms is not None:
            parts.append(f"updated since {absolute(self.from_ms, zone)}")
        if self.to_ms is not None:
            parts.append(f"updated until {absolute(self.to_ms, zone)}")
        if self.text is not None:
            parts.append(f"id or group = {clean(self.text)!r}")
        parts.extend(truncate(clean(condition.to_text()), 60) for condition in self.data)
        if self.stuck is not None:
            parts.append(f"stuck: {STUCK_LABELS[self.stuck]}")
        return ", ".join(parts) if parts else "no filter"


def parse_moment(text: str, now_ms: int, zone: Zone = UTC) -> int | None:
    """A time the operator typed: empty (none), a duration ago (``15m``), or
    ``YYYY-MM-DD[ HH:MM[:SS]]`` read in ``zone`` (the console's, UTC by default).
    Raises ``ValueError`` with the reason."""
    text = text.strip()
    if not text:
        return None
    try:
        return now_ms - parse_duration(text, maximum_ms=10 * 365 * 86_400_000)
    except DurationError:
        pass
    for pattern in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d"):
        try:
            wall = dt.datetime.strptime(text, pattern)
        except ValueError:
            continue
        return zone.read(wall)
    raise ValueError(f"Not a time: {text[:40]!r}. Use a duration ago (15m, 2h) or {zone.short} 2026-11-29 08:00.")


#: The shortest start of a status word the filter line takes for it (``run``).
STATUS_PREFIX = 3
TYPED_HINT = (
    "status (run, fail…), sub:NAME, data.PATH=VALUE or data.PATH~TEXT, a task/group id"
    " · enter keeps · esc clears · ctrl+f: time ranges"
)
#: The filter line's words: a payload word whose value is in double quotes
#: (``data.name="Ann Lee"``) is one word, spaces and all; other words end at a space.
_WORDS = re.compile(r'(?:data\.[^\s=~]*[=~]"[^"]*"(?=\s|$))|\S+')


def payload_word(word: str) -> Condition:
    """A ``data.PATH=VALUE`` / ``data.PATH~VALUE`` word of the filter line (its
    value in double quotes when it holds spaces). Raises ``ValueError`` with
    the store's one-sentence reason."""
    split = min((i for i in (word.find("="), word.find("~")) if i >= 0), default=-1)
    if split >= 0 and len(word) - split >= 3 and word[split + 1] == '"' and word.endswith('"'):
        word = word[: split + 1] + word[split + 2 : -1]
    try:
        return parse_condition(word)
    except InvalidArgument as exc:
        raise ValueError(str(exc)) from None


def _payload_text(condition: Condition) -> str:
    """A condition as the filter line shows it (quoted when its value has a space
    or starts with a quote, so ``payload_word`` gives it back)."""
    text = condition.to_text()
    if any(char.isspace() for char in condition.value) or condition.value.startswith('"'):
        text = text[: len(text) - len(condition.value)] + '"' + condition.value + '"'
    return text


def _status_word(word: str) -> TaskStatus | None:
    """The status ``word`` names: the whole word, or a start of one status only
    (at least ``STATUS_PREFIX`` letters)."""
    named = [status for status in TaskStatus if status.value == word]
    if not named and len(word) >= STATUS_PREFIX:
        named = [status for status in TaskStatus if status.value.startswith(word)]
    return named[0] if len(named) == 1 else None


def typed_query(text: str, query: TaskQuery) -> TaskQuery:
    """``query`` with the status, sub-topic and id the filter line's ``text``
    names (words, any order): a status word (or its start, ``run``),
    ``sub:NAME``, an exact task or group id (``id:X`` when it looks like a
    status). What the line does not set (time range, stuck class) is kept.
    Raises ``ValueError`` with the reason."""
    status: TaskStatus | None = None
    sub_topic: str | None = None
    ident: str | None = None
    data: list[Condition] = []
    for word in _WORDS.findall(text):
        lowered = word.casefold()
        if word.startswith("data."):
            condition = payload_word(word)
            if condition not in data:
                data.append(condition)
            continue
        if lowered.startswith("sub:"):
            if not word[4:]:
                raise ValueError("sub: needs a sub-topic name, as in sub:emails.")
            if sub_topic is not None and sub_topic != word[4:]:
                raise ValueError("One sub-topic at a time.")
            sub_topic = word[4:]
            continue
        named = None if lowered.startswith("id:") else _status_word(lowered)
        if named is not None:
            if status is not None and status != named:
                raise ValueError("One status at a time.")
            status = named
            continue
        wanted = word[3:] if lowered.startswith("id:") else word
        if not wanted:
            raise ValueError("id: needs a task or group id, as in id:email-001.")
        if ident is not None and ident != wanted:
            raise ValueError(f"One task or group id at a time ({clean(ident)[:30]!r}, then {clean(wanted)[:30]!r}).")
        ident = wanted
    if len(data) > MAX_CONDITIONS:
        raise ValueError(f"At most {MAX_CONDITIONS} data conditions at a time.")
    if data and query.topic is None:
        raise ValueError("A data search needs a topic: open one first.")
    return replace(query, status=status, sub_topic=sub_topic, text=ident, data=tuple(data))


def typed_text(query: TaskQuery) -> str:
    """What the filter line shows for ``query``'s status, sub-topic and id
    (``typed_query`` of it gives them back)."""
    words = []
    if query.status is not None:
        words.append(str(query.status))
    if query.sub_topic is not None:
        words.append(f"sub:{query.sub_topic}")
    if query.text is not None:
        looks_like_status = query.text.casefold().startswith(("sub:", "id:")) or _status_word(query.text.casefold())
        words.append(f"id:{query.text}" if looks_like_status else query.text)
    words.extend(_payload_text(condition) for condition in query.data)
    return " ".join(words)
