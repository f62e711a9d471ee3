"""Turning SQL rows into ``Task`` and ``AuditEntry`` objects, shared by the SQL
backends; ``parse_json`` is the Redis store's too."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from stores.audit import AuditEntry
from stores.errors import InvalidArgument
from stores.model import STATUS_OF_TEXT, Task, TaskStatus, TopicPause, task_of
from stores.validation import TASK_FIELDS

#: The task columns, in ``Task`` field order, as every SQL query selects them.
TASK_COLUMNS = ", ".join(TASK_FIELDS)


#: ``json.loads`` without its wrapper (type checks, a BOM test, a regex for the
#: whitespace around the value): on a task's data, about as long as the parse.
_raw_decode = json.JSONDecoder().raw_decode


def parse_json(text: str) -> Any:
    """``json.loads(text)``, faster for the text the stores write (no whitespace
    around the value); anything else (whitespace another client left, text
    that is not JSON) goes to ``json.loads`` itself, which parses or raises."""
    try:
        value, end = _raw_decode(text)
    except ValueError:
        return json.loads(text)
    return value if end == len(text) else json.loads(text)


def task_from_row(row: Sequence[Any]) -> Task:
    """A ``Task`` from a row selected as ``TASK_COLUMNS``, ``data`` as the stored JSON text."""
    values = list(row)
    values[5] = STATUS_OF_TEXT.get(values[5]) or TaskStatus(values[5])
    values[8] = parse_json(values[8])
    return task_of(values)


#: The audit columns, in ``AuditEntry`` field order (the SQL tables say
#: ``op_user``/``op_host``: ``user`` is a reserved word in PostgreSQL).
AUDIT_COLUMNS = (
    "audit_id, at, op_user, op_host, tool, action, task_id, topic, status_before, status_after, "
    "record_ver_before, record_ver_after, detail, batch_id"
)


#: Above every record's ``(at, audit_id)``: where the first page of the trail starts.
_AUDIT_START = (2**62, 2**62)


def audit_after(after: tuple[int, str] | None) -> tuple[int, int]:
    """The ``(at, audit_id)`` an ``audit_log`` page starts below, from its cursor's
    position (``None`` for the first page). Raises ``InvalidArgument`` for a
    position whose id is not one ``audit_from_row`` made (a bigint's digits)."""
    if after is None:
        return _AUDIT_START
    at, audit_id = after
    if not (audit_id.isascii() and audit_id.isdigit() and int(audit_id) < 2**63):
        raise InvalidArgument("cursor is not one this store returned.")
    return at, int(audit_id)


def audit_from_row(row: Sequence[Any]) -> AuditEntry:
    """An ``AuditEntry`` from a row selected as ``AUDIT_COLUMNS``."""
    values = list(row)
    values[0] = f"{values[0]:015d}"  # sorts as text in the trail's order (see audit_key)
    values[8] = TaskStatus(values[8]) if values[8] is not None else None
    # A topic record (pause, resume) is stored with status_after '' and
    # record_ver_after 0 (the columns are NOT NULL; no task has version 0).
    values[9] = TaskStatus(values[9]) if values[9] else None
    values[11] = values[11] or None
    return AuditEntry(*values)


def pause_from_row(row: Sequence[Any]) -> TopicPause:
    """A ``TopicPause`` from a row selected as ``topic, paused_at, until_ms, reason, paused_by``."""
    topic, paused_at, until_ms, reason, paused_by = row
    return TopicPause(topic, int(paused_at), None if until_ms is None else int(until_ms), reason, paused_by)
