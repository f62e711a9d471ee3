"""Real ``stores.Task`` values for the unit tests (no store: a task as a store returns it)."""

from __future__ import annotations

from typing import Any

from stores import Task, TaskStatus

AT = 1_795_000_000_000  # 2026-11-18 ... UTC, in epoch ms


def make_task(task_id: str = "t1", **fields: Any) -> Task:
    """A task as a store would return it; ``fields`` override the defaults."""
    values: dict[str, Any] = {
        "task_id": task_id, "task_group_id": task_id, "task_description": None, "topic": "emails",
        "sub_topic": "", "status": TaskStatus.STARTING, "pid": None, "record_ver": 1, "data": {}, "error": None,
        "snooze_time": None, "timeout_ms": None, "lease_expires_at": None, "created_at": AT, "updated_at": AT,
    }
    values.update(fields)
    return Task(**values)
