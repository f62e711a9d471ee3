"""What ``sokka`` prints: fixed-column tables for people, JSON for scripts.

Every string that comes from a store reaches a table through ``render.clean``,
which makes control characters (ESC, OSC, C1, bidi overrides) visible, so task
data can't drive the terminal. JSON escapes C0 controls itself; ``dumps`` also
escapes DEL, C1 and the invisible format characters, so ``--json`` output is
safe on a terminal too and still parses to the exact stored text.

Formats: ``table`` (people), ``json`` (one document: an object, or for a list
command a list written element by element as pages arrive), ``jsonl`` (one
object per line, streamed).

A task in JSON has every ``Task`` field under its own name (``status`` as text,
times as epoch ms on the store's clock), plus ``created_at_iso``,
``updated_at_iso`` and ``lease_expires_at_iso`` (UTC, RFC 3339 with ms, or null),
whatever ``--tz`` says: the zone changes only what people read (tables, messages),
where every absolute time is in the zone with its offset (``timezones.Zone``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
import sys
from collections.abc import Callable, Iterable
from typing import Any, TextIO, TypeVar

from rich.cells import cell_len, set_cell_size

from sokka_tui import pauses, rates
from sokka_tui.render import absolute, clean, format_duration, relative
from sokka_tui.timezones import UTC, Zone
from stores import TASK_STATUSES, RateBucket, Task, TaskStatus, TopicPause, TopicRates, TopicStats
from stores.audit import AuditEntry

T = TypeVar("T")
TABLE, JSON, JSONL = "table", "json", "jsonl"
_TIME_FIELDS = ("lease_expires_at", "created_at", "updated_at")
# Characters json.dumps leaves as they are that a terminal may act on or hide.
_UNSAFE_IN_JSON = re.compile("[\x7f-\x9f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def iso(ms: int | None) -> str | None:
    """Epoch ms as ``2026-11-29T08:00:00.000Z``; ``None`` stays ``None``."""
    if ms is None:
        return None
    moment = dt.datetime.fromtimestamp(ms // 1000, tz=dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def dumps(value: Any) -> str:
    """Compact JSON, UTF-8 text kept, with terminal-active characters escaped."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return _UNSAFE_IN_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def task_json(task: Task) -> dict[str, Any]:
    """A task as a JSON object (see the module docstring)."""
    out = {field.name: getattr(task, field.name) for field in dataclasses.fields(task)}
    out["status"] = str(task.status)
    for name in _TIME_FIELDS:
        out[f"{name}_iso"] = iso(out[name])
    return out


def pause_json(pause: TopicPause) -> dict[str, Any]:
    """A topic's pause as a JSON object: every ``TopicPause`` field, times as ISO too."""
    return {
        "topic": pause.topic, "paused_at": pause.paused_at, "paused_at_iso": iso(pause.paused_at),
        "until_ms": pause.until_ms, "until_iso": iso(pause.until_ms), "reason": pause.reason,
        "paused_by": pause.paused_by,
    }


def rates_json(topic_rates: TopicRates, resolution: str) -> dict[str, Any]:
    """A topic's rates as a JSON object: the window's totals and every bucket
    (oldest first, the last one still filling), times as epoch ms and ISO."""
    return {
        "topic": topic_rates.topic, "resolution": resolution, "width_ms": topic_rates.width_ms,
        "now_ms": topic_rates.now_ms, "now_iso": iso(topic_rates.now_ms),
        "totals": rates.totals(topic_rates),
        "buckets": [
            {"start_ms": b.start_ms, "start_iso": iso(b.start_ms),
             **{kind: getattr(b, kind) for kind, _ in rates.KINDS}}
            for b in topic_rates.buckets
        ],
    }


def topic_json(stats: TopicStats, pause: TopicPause | None = None) -> dict[str, Any]:
    """A topic's counts; ``paused`` is its pause (``pause_json`` without the topic) or null."""
    paused = None
    if pause is not None:
        paused = {k: v for k, v in pause_json(pause).items() if k != "topic"}
    return {
        "topic": stats.topic,
        "counts": {str(status): n for status, n in stats.counts.items()},
        "expired_leases": stats.expired_leases,
        "oldest_starting_at": stats.oldest_starting_at,
        "oldest_starting_at_iso": iso(stats.oldest_starting_at),
        "paused": paused,
    }


def fit(value: object, width: int, *, right: bool = False) -> str:
    """``value`` cleaned and padded (or cut with ``…``) to ``width`` terminal cells."""
    text = clean(value)
    if cell_len(text) > width:
        text = set_cell_size(text, width - 1) + "…"
    pad = " " * (width - cell_len(text))
    return pad + text if right else text + pad


@dataclasses.dataclass(frozen=True)
class Column:
    heading: str
    width: int
    right: bool = False


class Table:
    """Rows of fixed-width columns, written as they come (no measuring pass)."""

    def __init__(self, columns: list[Column], stream: TextIO) -> None:
        self.columns = columns
        self.stream = stream
        self._line([c.heading for c in columns])

    def _line(self, cells: list[object]) -> None:
        parts = [fit(cell, c.width, right=c.right) for c, cell in zip(self.columns, cells, strict=True)]
        self.stream.write("  ".join(parts).rstrip() + "\n")

    def row(self, cells: list[object]) -> None:
        self._line(cells)


def _time_column(heading: str, width: int, zone: Zone) -> Column:
    """A column of absolute times: ``UPDATED (UTC)``, or in another zone ``UPDATED``
    with room for each cell's offset (``Zone.cell``)."""
    return Column(zone.heading(heading), width + zone.cell_extra)


def task_columns(zone: Zone = UTC) -> list[Column]:
    return [
        Column("ID", 26), Column("TOPIC", 14), Column("SUB-TOPIC", 10), Column("STATUS", 10),
        Column("VER", 4, right=True), Column("OWNER", 16), _time_column("UPDATED", 19, zone), Column("NOTE", 40),
    ]


_TOPIC_AT = 1  # where task_columns and leased_columns have the topic


def leased_columns(zone: Zone = UTC) -> list[Column]:
    return [
        Column("ID", 26), Column("TOPIC", 14), Column("STATUS", 8), Column("OWNER", 16),
        Column("VER", 4, right=True), _time_column("LEASE ENDS", 19, zone), Column("STATE", 24),
    ]


TOPIC_COLUMNS = [
    Column("TOPIC", 24), Column("STARTING", 9, True), Column("RUNNING", 8, True), Column("SNOOZED", 8, True),
    Column("FAILED", 8, True), Column("TERMINATED", 10, True), Column("EXPIRED", 8, True),
    Column("OLDEST STARTING", 16, True), Column("PAUSED", 40),
]


#: ``sokka rates``: the buckets the sparkline shows (the newest), per topic.
SPARK_BUCKETS = 60


def rates_columns(width_ms: int) -> list[Column]:
    span = "1H" if width_ms == 60_000 else "24H"
    step = "1 MIN" if width_ms == 60_000 else f"{width_ms // 60_000} MIN"
    return [
        Column("TOPIC", 24), *(Column(f"{word} {span}", len(word) + 4, True) for _, word in rates.KINDS),
        Column(f"FINISHED, LAST {SPARK_BUCKETS} x {step}", SPARK_BUCKETS),
    ]


def rates_row(topic_rates: TopicRates) -> list[object]:
    total = rates.totals(topic_rates)
    recent = topic_rates.buckets[-SPARK_BUCKETS:]
    return [topic_rates.topic, *(total[kind] for kind, _ in rates.KINDS),
            rates.sparkline([b.terminated for b in recent])]


def bucket_columns(zone: Zone = UTC) -> list[Column]:
    return [_time_column("BUCKET START", 19, zone), *(Column(word, 10, True) for _, word in rates.KINDS)]


def bucket_row(bucket: RateBucket, zone: Zone = UTC) -> list[object]:
    return [short_time(bucket.start_ms, zone), *(getattr(bucket, kind) for kind, _ in rates.KINDS)]


def audit_columns(zone: Zone = UTC) -> list[Column]:
    return [
        _time_column("WHEN", 23, zone), Column("OPERATOR", 24), Column("TOOL", 9), Column("ACTION", 9),
        Column("ID", 26), Column("TOPIC", 14), Column("CHANGE", 22), Column("VER", 7), Column("DETAIL", 30),
        Column("BULK RUN", 16),
    ]


def audit_json(entry: AuditEntry) -> dict[str, Any]:
    """A record of the audit trail as a JSON object: every field, ``at_iso`` too."""
    out = {field.name: getattr(entry, field.name) for field in dataclasses.fields(entry)}
    for name in ("status_before", "status_after"):
        out[name] = None if out[name] is None else str(out[name])
    out["at_iso"] = iso(entry.at)
    return out


def audit_row(entry: AuditEntry, zone: Zone = UTC) -> list[object]:
    if entry.is_topic_record:  # a pause or a resume: no task, no change of status
        return [zone.cell(entry.at, millis=True), entry.operator, entry.tool, entry.action, "—", entry.topic,
                "topic", "—", audit_detail(entry), entry.batch_id or ""]
    before = f"{entry.status_before} → " if entry.status_before is not None else ""
    version = f"{entry.record_ver_before}→{entry.record_ver_after}" if entry.record_ver_before else "1"
    return [zone.cell(entry.at, millis=True), entry.operator, entry.tool, entry.action, entry.task_id, entry.topic,
            f"{before}{entry.status_after}", version, audit_detail(entry), entry.batch_id or ""]


def audit_detail(entry: AuditEntry) -> str:
    """An audit record's detail as the console's audit screen says it: a snooze
    ``for 30s`` (stored as ms), a reservation ``by`` its owner, a pause how long
    and why. JSON keeps the raw text."""
    if entry.action == "pause":
        return pauses.audit_detail(entry)
    if entry.action == "snooze" and entry.detail.isdigit():
        return f"for {format_duration(int(entry.detail))}"
    if entry.action == "reserve":
        return f"by {entry.detail}"
    return entry.detail


def short_time(ms: int | None, zone: Zone = UTC) -> str:
    """A table cell: ``2026-11-29 08:00:00`` (UTC: the heading says so), in
    another zone with the instant's offset (``... +01:00``); or ``—``."""
    return "—" if ms is None else zone.cell(ms)


def lease_state(task: Task, now_ms: int) -> str:
    """A leased task's state by the store's clock: live, ``STUCK`` or ``WAKE DUE``.

    The console's panel says the same (``widgets/leased_panel.py``); it is
    repeated here, in plain text, so this command never loads Textual."""
    remaining = (task.lease_expires_at or 0) - now_ms
    if remaining > 0:
        verb = "wakes in" if task.status == TaskStatus.SNOOZED else "expires in"
        return f"{verb} {format_duration(remaining)}"
    overdue = format_duration(-remaining)
    return f"WAKE DUE {overdue} ago" if task.status == TaskStatus.SNOOZED else f"STUCK {overdue} ago"


def task_row(task: Task, zone: Zone = UTC) -> list[object]:
    note = task.error if task.status == TaskStatus.FAILED and task.error else task.task_description
    return [task.task_id, task.topic, task.sub_topic, str(task.status), task.record_ver,
            task.pid or "—", short_time(task.updated_at, zone), note or ""]


def _without_topic(row: list[T]) -> list[T]:
    return row[:_TOPIC_AT] + row[_TOPIC_AT + 1:]


def leased_row(task: Task, now_ms: int, zone: Zone = UTC) -> list[object]:
    return [task.task_id, task.topic, str(task.status), task.pid or "—", task.record_ver,
            short_time(task.lease_expires_at, zone), lease_state(task, now_ms)]


def topic_row(stats: TopicStats, now_ms: int, pause: TopicPause | None = None) -> list[object]:
    oldest = "—" if stats.oldest_starting_at is None else format_duration(now_ms - stats.oldest_starting_at)
    counts = stats.counts
    paused = "" if pause is None else pauses.time_left(pause, now_ms) + (f": {pause.reason}" if pause.reason else "")
    return [stats.topic, counts[TaskStatus.STARTING], counts[TaskStatus.RUNNING], counts[TaskStatus.SNOOZED],
            counts[TaskStatus.FAILED], counts[TaskStatus.TERMINATED], stats.expired_leases, oldest, paused]


class Output:
    """Writes one command's result in the chosen format to stdout."""

    def __init__(self, fmt: str = TABLE, stream: TextIO | None = None, *, zone: Zone = UTC) -> None:
        self.fmt = fmt
        self._stream = stream
        #: Where a table's absolute times are shown (JSON stays epoch ms and UTC).
        self.zone = zone

    @property
    def stream(self) -> TextIO:
        return self._stream or sys.stdout  # looked up late: tests swap sys.stdout

    @property
    def for_people(self) -> bool:
        return self.fmt == TABLE

    def items(
        self, items: Iterable[Any], to_json: Callable[[Any], dict], columns: list[Column],
        to_row: Callable[[Any], list[object]],
    ) -> int:
        """Stream a list: a table, a JSON list written element by element, or JSON lines.
        Returns how many were written."""
        stream, count = self.stream, 0
        if self.fmt == TABLE:
            table = Table(columns, stream)
            for item in items:
                table.row(to_row(item))
                count += 1
            return count
        if self.fmt == JSONL:
            for item in items:
                stream.write(dumps(to_json(item)) + "\n")
                count += 1
            return count
        stream.write("[")
        for item in items:
            stream.write(("\n" if count == 0 else ",\n") + dumps(to_json(item)))
            count += 1
        stream.write("\n]\n" if count else "]\n")
        return count

    def tasks(self, tasks: Iterable[Task], *, topic_column: bool = True) -> int:
        """A list of tasks; without ``topic_column`` (one topic's listing, named on the
        command line) the table leaves out the TOPIC column. JSON keeps every field."""
        columns, zone = task_columns(self.zone), self.zone
        if topic_column:
            return self.items(tasks, task_json, columns, lambda t: task_row(t, zone))
        return self.items(tasks, task_json, _without_topic(columns), lambda t: _without_topic(task_row(t, zone)))

    def leased(self, tasks: Iterable[Task], now_ms: int, *, topic_column: bool = True) -> int:
        """Leased tasks; without ``topic_column`` (one topic's, named on the command
        line) the table leaves out the TOPIC column. JSON keeps every field."""
        columns, zone = leased_columns(self.zone), self.zone
        if topic_column:
            return self.items(tasks, task_json, columns, lambda t: leased_row(t, now_ms, zone))
        return self.items(tasks, task_json, _without_topic(columns),
                          lambda t: _without_topic(leased_row(t, now_ms, zone)))

    def audit(self, entries: Iterable[AuditEntry]) -> int:
        zone = self.zone
        return self.items(entries, audit_json, audit_columns(zone), lambda e: audit_row(e, zone))

    def topics(self, stats: Iterable[TopicStats], now_ms: int, paused: Iterable[TopicPause] = ()) -> int:
        """Every topic, its pause (if paused) in the PAUSED column / ``paused``
        field; a paused topic without tasks is listed too, with zero counts."""
        by_topic = pauses.by_topic(paused)
        listed = list(stats)
        known = {s.topic for s in listed}
        listed += [TopicStats(topic, dict.fromkeys(TASK_STATUSES, 0), 0, None)
                   for topic in by_topic if topic not in known]
        listed.sort(key=lambda s: s.topic)
        return self.items(listed, lambda s: topic_json(s, by_topic.get(s.topic)), TOPIC_COLUMNS,
                          lambda s: topic_row(s, now_ms, by_topic.get(s.topic)))

    def rates(self, topic_rates: list[TopicRates], resolution: str, width_ms: int) -> int:
        """Every topic's rates: for people a row per topic (the window's totals
        and a sparkline of the newest buckets' finished tasks); JSON every bucket."""
        return self.items(topic_rates, lambda r: rates_json(r, resolution), rates_columns(width_ms), rates_row)

    def rate_buckets(self, topic_rates: TopicRates, resolution: str) -> int:
        """One topic's rates: for people a row per bucket, oldest first (the last
        one still filling), its start in the --tz zone; JSON as ``rates``."""
        if self.fmt != TABLE:
            return self.items([topic_rates], lambda r: rates_json(r, resolution), [], rates_row)
        zone = self.zone
        return self.items(topic_rates.buckets, lambda _: {}, bucket_columns(zone), lambda b: bucket_row(b, zone))

    def document(self, value: dict[str, Any], people: str) -> None:
        """One result: ``people`` (already clean text) for a table, else ``value`` as JSON."""
        self.stream.write((people if self.fmt == TABLE else dumps(value)) + "\n")

    def task(self, task: Task, now_ms: int) -> None:
        """One task: every field, one a line, for people; one object for scripts."""
        if self.fmt != TABLE:
            self.stream.write(dumps(task_json(task)) + "\n")
            return
        self.stream.write(task_detail(task, now_ms, self.zone))


def task_detail(task: Task, now_ms: int, zone: Zone = UTC) -> str:
    """Every field of ``task``, one a line, times absolute (in ``zone``, with their
    offsets) and relative to the store's clock."""

    def when(ms: int | None) -> str:
        return "—" if ms is None else f"{absolute(ms, zone)} ({relative(ms, now_ms)})"

    lease = when(task.lease_expires_at)
    if task.lease_expires_at is not None and task.status in (TaskStatus.RUNNING, TaskStatus.SNOOZED):
        lease += f"  {lease_state(task, now_ms)}"
    rows = [
        ("task_id", clean(task.task_id)), ("task_group_id", clean(task.task_group_id)),
        ("description", clean(task.task_description) if task.task_description is not None else "—"),
        ("topic", clean(task.topic)), ("sub_topic", clean(task.sub_topic)), ("status", str(task.status)),
        ("owner (pid)", clean(task.pid) if task.pid else "—"), ("record_ver", str(task.record_ver)),
        ("created_at", when(task.created_at)), ("updated_at", when(task.updated_at)),
        ("lease_expires_at", lease),
        ("snooze_time", format_duration(task.snooze_time) if task.snooze_time else "—"),
        ("timeout_ms", str(task.timeout_ms) if task.timeout_ms is not None else "—"),
        ("error", clean(task.error, multiline=True) if task.error is not None else "—"),
    ]
    lines = [f"{name:<17} {value}" for name, value in rows]
    data = json.dumps(task.data, ensure_ascii=False, indent=2)
    lines.append("data")
    lines.extend("  " + line for line in clean(data, multiline=True).splitlines())
    return "\n".join(lines) + "\n"


def task_line(task: Task) -> str:
    """``'id' (status, vN, owner w-3)`` for prompts and reports, cleaned."""
    owner = f", owner {clean(task.pid)}" if task.pid else ""
    return f"{clean(task.task_id)!r} ({task.status}, v{task.record_ver}{owner})"
