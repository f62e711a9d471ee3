"""Failures at a glance and re-runs: the shared rules of ``failure_groups`` and ``rerun_task``.

Every backend computes the same error key (SQL, Lua and Python agree on it):
the error's text up to its first line feed, ``""`` for a task failed without
an error; but when that first line starts with Python's traceback header
(``Traceback (most recent call last):``), the key is the traceback's last
line (the exception, ``ValueError: bad id``), trailing spaces, tabs, carriage
returns and line feeds left out: otherwise every Python failure would share
one group. Groups are read from the newest failures of a topic only (a bounded
scan), and say so when older ones were left out.
"""

from __future__ import annotations

from typing import Any

from stores.errors import InvalidArgument
from stores.model import Task
from stores.validation import NewTask, check_topic, validate_new_task

#: How many of a topic's newest failed tasks ``failure_groups`` reads by default, and at most.
DEFAULT_SCAN_LIMIT = 10_000
MAX_SCAN_LIMIT = 100_000
#: How many groups ``failure_groups`` returns by default, and at most.
DEFAULT_GROUP_LIMIT = 100
MAX_GROUP_LIMIT = 10_000
#: The longest description a re-run gets (characters); longer ones end in "…".
MAX_RERUN_DESCRIPTION = 500


#: The first line of a Python traceback (``traceback.format_exc()``).
TRACEBACK_HEADER = "Traceback (most recent call last):"
#: What is taken off a traceback's end before its last line is read.
TRAILING_BLANKS = " \t\r\n"


def error_key(error: str | None) -> str:
    """The key failures are grouped by: ``error`` up to its first line feed, or,
    for a Python traceback, its last line that is not blank (the exception)."""
    text = error or ""
    first = text.split("\n", 1)[0]
    if not first.startswith(TRACEBACK_HEADER):
        return first
    return text.rstrip(TRAILING_BLANKS).rsplit("\n", 1)[-1]


def check_group_args(topic: object, limit: object, scan_limit: object) -> tuple[str, int, int]:
    """``failure_groups``'s arguments, checked. Raises ``InvalidArgument``."""
    checked_topic = check_topic(topic)
    for name, value, most in (("limit", limit, MAX_GROUP_LIMIT), ("scan_limit", scan_limit, MAX_SCAN_LIMIT)):
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= most:
            raise InvalidArgument(f"{name} must be a whole number from 1 to {most}.")
    assert isinstance(limit, int) and isinstance(scan_limit, int)
    return checked_topic, limit, scan_limit


def rerun_description(original: Task) -> str:
    """The new task's description: a link to ``original`` and its description, bounded."""
    text = f"re-run of {original.task_id}"
    if original.task_description:
        text += f": {original.task_description}"
    if len(text) > MAX_RERUN_DESCRIPTION:
        text = text[: MAX_RERUN_DESCRIPTION - 1] + "…"
    return text


def rerun_of(original: Task) -> NewTask:
    """The task a re-run of ``original`` creates: a new id, the same topic, sub-topic,
    data, group and timeout, and a description that links the original."""
    task: dict[str, Any] = {
        "topic": original.topic,
        "sub_topic": original.sub_topic,
        "task_group_id": original.task_group_id,
        "task_description": rerun_description(original),
        "data": original.data,
    }
    if original.timeout_ms is not None:
        task["timeout_ms"] = original.timeout_ms
    return validate_new_task(task)


__all__ = [
    "DEFAULT_GROUP_LIMIT",
    "DEFAULT_SCAN_LIMIT",
    "MAX_GROUP_LIMIT",
    "MAX_SCAN_LIMIT",
    "TRACEBACK_HEADER",
    "check_group_args",
    "error_key",
    "rerun_description",
    "rerun_of",
]
