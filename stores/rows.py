"""Turning SQL rows into ``Task`` objects; shared by the SQL backends."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from stores.model import Task, TaskStatus
from stores.validation import TASK_FIELDS

#: The task columns, in ``Task`` field order, as every SQL query selects them.
TASK_COLUMNS = ", ".join(TASK_FIELDS)


def task_from_row(row: Sequence[Any]) -> Task:
    """A ``Task`` from a row selected as ``TASK_COLUMNS``, ``data`` as the stored JSON text."""
    values = list(row)
    values[5] = TaskStatus(values[5])
    values[8] = json.loads(values[8])
    return Task(*values)
