"""The audit trail: who changed which task, when, from what to what.

A store opened with ``operator=Operator(...)`` records every write it makes
(create, reserve, extend, terminate, fail, snooze, revoke, single or bulk) in
the store itself, in the same transaction (PostgreSQL, SQLite) or Lua script
(Redis) as the write: there is never a change without its record, nor a record
without its change. Pausing and resuming a topic (``pause_topic``,
``resume_topic``) are recorded too, as topic records: ``task_id`` is ``""``
(``TOPIC_RECORD``; no task has an empty id) and the statuses and versions are
``None``. Workers open stores without an operator and are not
recorded. ``store.audit_log()`` reads the trail, newest first.
"""

from __future__ import annotations

import getpass
import json
import socket
from dataclasses import dataclass

from stores.model import Task, TaskStatus


@dataclass(frozen=True)
class Operator:
    """The person (and tool) on whose behalf a store writes."""

    user: str
    host: str
    tool: str = "sokka"

    @classmethod
    def current(cls, tool: str) -> Operator:
        """This process's OS user and host name."""
        try:
            user = getpass.getuser()
        except (KeyError, OSError):  # no passwd entry and no $USER, e.g. in a bare container
            user = "unknown"
        return cls(user, socket.gethostname() or "unknown", tool)

    @property
    def label(self) -> str:
        return f"{self.user}@{self.host}"


@dataclass(frozen=True)
class AuditEntry:
    """One recorded write. ``at`` is the store's clock (epoch ms), the same
    instant as the task's ``updated_at`` after the write. A topic record (a
    pause or a resume) has ``task_id == ""`` and no statuses or versions."""

    audit_id: str
    at: int
    user: str
    host: str
    tool: str
    action: str
    task_id: str
    topic: str
    status_before: TaskStatus | None
    status_after: TaskStatus | None
    record_ver_before: int | None
    record_ver_after: int | None
    detail: str
    batch_id: str | None

    @property
    def operator(self) -> str:
        return f"{self.user}@{self.host}"

    @property
    def is_topic_record(self) -> bool:
        """A record of the topic itself (pause, resume), not of a task."""
        return self.task_id == TOPIC_RECORD


#: The actions a trail records, and the ``detail`` each carries: the error text
#: (fail), the snooze length in ms (snooze), the new owner (reserve), the new
#: task's id (rerun, recorded on the original, which it leaves unchanged), the
#: original's id (create of a re-run), the pause's end and reason as JSON
#: (pause: ``pause_detail``), else "".
ACTIONS = ("create", "reserve", "extend", "terminate", "fail", "snooze", "revoke", "rerun", "pause", "resume")
#: The topic-level actions: their records have ``task_id == TOPIC_RECORD``.
TOPIC_ACTIONS = ("pause", "resume")
#: The ``task_id`` of a topic record (no task has an empty id).
TOPIC_RECORD = ""


def pause_detail(until_ms: int | None, reason: str) -> str:
    """The ``detail`` of a pause record: ``{"until_ms": <epoch ms or null>, "reason": "..."}``."""
    return json.dumps({"until_ms": until_ms, "reason": reason}, ensure_ascii=False, separators=(",", ":"))


def parse_pause_detail(detail: str) -> tuple[int | None, str]:
    """``(until_ms, reason)`` of a pause record's ``detail``; ``(None, detail)``
    for text that is not one (never raises)."""
    try:
        value = json.loads(detail)
    except ValueError:
        return None, detail
    if not isinstance(value, dict):
        return None, detail
    until, reason = value.get("until_ms"), value.get("reason")
    until = until if isinstance(until, int) and not isinstance(until, bool) else None
    return until, reason if isinstance(reason, str) else ""


@dataclass(frozen=True)
class AuditContext:
    """What a backend writes into each record besides the change itself: who,
    and the bulk run (one ``apply_bulk`` call) the write belongs to."""

    operator: Operator
    batch_id: str | None = None

    def to_json(self) -> str:
        return json.dumps(
            {"user": self.operator.user, "host": self.operator.host, "tool": self.operator.tool,
             "batch": self.batch_id or ""},
            ensure_ascii=False, separators=(",", ":"),
        )


def audit_detail(action: str, after: Task) -> str:
    """The ``detail`` of a record, from the task as the write left it."""
    if action == "fail":
        return after.error or ""
    if action == "snooze":
        return str(after.snooze_time)
    if action == "reserve":
        return after.pid or ""
    return ""


def audit_key(entry: AuditEntry) -> tuple[int, str]:
    """The sort key of ``audit_log`` (descending): newest first."""
    return (entry.at, entry.audit_id)


__all__ = [
    "ACTIONS", "TOPIC_ACTIONS", "TOPIC_RECORD", "AuditContext", "AuditEntry", "Operator", "audit_detail",
    "audit_key", "parse_pause_detail", "pause_detail",
]
