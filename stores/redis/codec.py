"""The values the Redis store keeps, and turning them (and script replies) into ``Task``.

A task is two hash fields: ``meta``, a JSON array of the mutable fields that
``common.lua`` writes (``encode``), and ``static``, a JSON array of the fields
fixed at create, which only this module writes. An id claim is the text
``"<claimed ms>:<topic>"``.
"""

from __future__ import annotations

import json
from typing import Any

from stores.model import STATUS_OF_TEXT, Task, TaskStatus, task_of
from stores.rows import parse_json
from stores.validation import NewTask

#: The fields of the ``meta`` array, in the order ``common.lua`` writes them
#: (``encode``) and reads them (``decode``); ``task_from`` unpacks them so.
META_FIELDS = (
    "status", "pid", "record_ver", "error", "snooze_time", "lease_expires_at", "created_at", "updated_at",
    "sub_topic",
)
#: Positions in the ``meta`` array: the keys merged pages are sorted by, and the
#: sub_topic (the schema upgrade reads it).
META_LEASE = META_FIELDS.index("lease_expires_at")
META_UPDATED = META_FIELDS.index("updated_at")
META_ERROR = META_FIELDS.index("error")
META_SUB_TOPIC = META_FIELDS.index("sub_topic")
#: The position of ``data`` in the ``static`` array (``static_json``).
STATIC_DATA = 3
#: A ``static`` for a task known only by its ``meta``: the checks of
#: ``stores.rules`` read no static field.
_NO_STATIC = '["",null,null,null]'
#: A ``meta`` or ``static`` array: parsed (as a script replies it, its values
#: JSON's) or as the JSON text stored.
Stored = list[Any] | str
def static_json(new: NewTask) -> str:
    """The fixed fields of a new task; ``data`` goes in as the exact text validated."""
    head = json.dumps([new.task_group_id, new.task_description, new.timeout_ms], separators=(",", ":"))
    return head[:-1] + "," + new.data_json + "]"


def task_from(task_id: str, topic: str, meta: Stored, static: Stored) -> Task:
    """A ``Task`` from its ``meta`` and ``static`` arrays, each parsed or as JSON text."""
    state: list[Any] = parse_json(meta) if isinstance(meta, str) else meta
    fixed: list[Any] = parse_json(static) if isinstance(static, str) else static
    status, pid, record_ver, error, snooze_time, lease, created, updated, sub_topic = state  # META_FIELDS
    group, description, timeout_ms, data = fixed
    return task_of((
        task_id, group, description, topic, sub_topic, STATUS_OF_TEXT.get(status) or TaskStatus(status), pid,
        record_ver, data, error, snooze_time, timeout_ms, lease, created, updated,
    ))


def meta_sub_topic(meta: str) -> str:
    """The sub_topic in a stored ``meta`` (JSON text)."""
    sub_topic: str = json.loads(meta)[META_SUB_TOPIC]
    return sub_topic


def task_state(task_id: str, topic: str, meta: Stored) -> Task:
    """A ``Task`` with the state in ``meta`` and blank fixed fields, for ``stores.rules``."""
    return task_from(task_id, topic, meta, _NO_STATIC)


def claim_value(claimed_ms: int, topic: str) -> str:
    """An id claim: when it was made (client clock) and the topic it is for."""
    return f"{claimed_ms}:{topic}"


def parse_claim(value: str | None) -> tuple[int | None, str | None]:
    """``(claimed ms, topic)`` of an id claim, ``None`` for a part that is missing or damaged."""
    ms, _, topic = (value or "").partition(":")
    return (int(ms) if ms.isascii() and ms.isdigit() else None), (topic or None)


def claimed_topic(value: str | None) -> str | None:
    """The topic in an id claim ``"<ms>:<topic>"``."""
    return parse_claim(value)[1]


def record_ver_arg(record_ver: int | None) -> str:
    """``record_ver`` as a script argument: ``''`` when the caller gave none."""
    return "" if record_ver is None else str(record_ver)
