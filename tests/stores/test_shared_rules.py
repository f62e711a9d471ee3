"""The pieces every backend shares, on their own: schema version refusals, the SQL
audit cursor, a created task, and the write that retries until the task settles."""

from __future__ import annotations

import pytest

from stores import InvalidArgument, StoreUnavailable, TaskStatus
from stores.base import WRITE_ATTEMPTS, BaseStore
from stores.rows import audit_after
from stores.schema import checked_schema_version, schema_missing, schema_too_old
from stores.validation import validate_new_task


def test_schema_versions():
    assert checked_schema_version("ns", "3", 3) == 3
    assert checked_schema_version("ns", "1", 3) == 1
    with pytest.raises(StoreUnavailable, match=r"^Namespace 'ns' has schema version 4; this sokka-tui knows up to 3\. "
                                               r"Upgrade sokka-tui\.$"):
        checked_schema_version("ns", "4", 3)
    for garbage in ("", "x", "²", "-1", " 2"):
        with pytest.raises(StoreUnavailable, match="Upgrade sokka-tui"):
            checked_schema_version("ns", garbage, 3)
    assert str(schema_too_old("ns", 1, 3)) == (
        "Namespace 'ns' has schema version 1, older than this sokka-tui's 3; "
        "open it once without read_only to upgrade it."
    )
    assert str(schema_missing("ns", "in this database")) == (
        "Namespace 'ns' has no sokka schema in this database; open it once without read_only to create it."
    )


def test_sql_audit_cursor():
    assert audit_after(None) == (2**62, 2**62)
    assert audit_after((5, "000000000000042")) == (5, 42)
    for bad in ("x", "", "-1", "²", "1" * 30, " 1"):
        with pytest.raises(InvalidArgument):
            audit_after((5, bad))


def test_created_task():
    new = validate_new_task({"task_id": "a", "topic": "t", "data": {"k": [1, 2.5, None]}, "timeout_ms": 9})
    task = new.created(1234)
    assert (task.task_id, task.task_group_id, task.topic, task.sub_topic) == ("a", "a", "t", "default")
    assert (task.status, task.pid, task.record_ver, task.data) == (TaskStatus.STARTING, None, 1, {"k": [1, 2.5, None]})
    assert (task.error, task.snooze_time, task.timeout_ms, task.lease_expires_at) == (None, None, 9, None)
    assert (task.created_at, task.updated_at) == (1234, 1234)


def test_write_until_settled():
    tries: list[int] = []

    def miss() -> None:
        tries.append(1)

    with pytest.raises(StoreUnavailable, match=r"^Task 'a' kept changing; the lease was not extended\.$"):
        BaseStore._write_until_settled("a", lambda: None, miss, unchanged="the lease was not extended")
    assert len(tries) == WRITE_ATTEMPTS
    results = iter([None, "written"])
    assert BaseStore._write_until_settled("a", lambda: next(results), miss) == "written"

    def refuse() -> None:
        raise InvalidArgument("refused")

    with pytest.raises(InvalidArgument):
        BaseStore._write_until_settled("a", lambda: None, refuse)
