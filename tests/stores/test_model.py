"""The package surface: constants, model, errors, and no UI imports."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import pytest

import stores
from stores import ALLOWED_TRANSITIONS, TASK_STATUSES, TaskStatus


def test_statuses_and_transitions_are_the_protocol_table():
    assert [str(s) for s in TASK_STATUSES] == ["starting", "running", "snoozed", "failed", "terminated"]
    assert TaskStatus.RUNNING == "running"
    expected = {
        "starting": {"running", "failed", "terminated"},
        "running": {"failed", "snoozed", "terminated", "starting"},
        "snoozed": {"starting", "failed", "terminated"},
        "failed": set(),
        "terminated": set(),
    }
    assert {str(k): {str(t) for t in v} for k, v in ALLOWED_TRANSITIONS.items()} == expected
    with pytest.raises(TypeError):
        ALLOWED_TRANSITIONS["failed"] = frozenset()  # type: ignore[index]


def test_task_fields_in_protocol_order_and_frozen():
    names = [f.name for f in dataclasses.fields(stores.Task)]
    assert names == [
        "task_id", "task_group_id", "task_description", "topic", "sub_topic", "status", "pid",
        "record_ver", "data", "error", "snooze_time", "timeout_ms", "lease_expires_at",
        "created_at", "updated_at",
    ]
    assert stores.Task.__dataclass_params__.frozen  # type: ignore[attr-defined]
    assert stores.Page.__dataclass_params__.frozen  # type: ignore[attr-defined]
    assert [f.name for f in dataclasses.fields(stores.TopicStats)] == [
        "topic", "counts", "expired_leases", "oldest_starting_at",
    ]


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("TaskNotFound", "task-not-found"),
        ("TaskAlreadyExists", "task-already-exists"),
        ("AlreadyDone", "already-done"),
        ("WrongOwner", "wrong-owner"),
        ("LeaseExpired", "lease-expired"),
        ("InvalidStatus", "invalid-status"),
        ("InvalidStatusTransition", "invalid-status-transition"),
        ("TaskConcurrentlyUpdated", "task-concurrently-updated"),
        ("InvalidTask", "invalid-task"),
        ("InvalidArgument", "invalid-argument"),
        ("ReadOnlyStore", "read-only"),
        ("StoreUnavailable", "store-unavailable"),
    ],
)
def test_error_codes(name, code):
    cls = getattr(stores, name)
    assert issubclass(cls, stores.TaskStoreError)
    error = cls("Something happened.", task_id="t1")
    assert error.code == code and error.task_id == "t1" and str(error) == "Something happened."


def test_stores_imports_no_ui():
    code = (
        "import sys, stores, stores.supervisor, stores.worker\n"
        "import stores.sqlite.store, stores.postgres.store, stores.redis.store\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('textual', 'sokka_tui', 'rich')]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_sqlite_needs_no_server_driver():
    code = (
        "import sys, stores\n"
        "s = stores.open_store('sqlite://:memory:'); s.close()\n"
        "assert 'psycopg' not in sys.modules and 'redis' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_task_of_makes_what_the_dataclass_makes():
    """``model.task_of`` fills a ``Task`` without its ``__init__`` (the SQL rows and
    the Redis replies are read through it): it must make what ``Task(...)`` makes,
    field for field, equal, hashable and frozen; a field added to ``Task``, a
    default or a ``__post_init__`` fails here."""
    from stores.model import Task, task_of

    assert not hasattr(Task, "__post_init__") and not hasattr(Task, "__slots__")
    assert all(f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
               for f in dataclasses.fields(Task))
    values = ("t1", "g1", None, "mail", "", TaskStatus.RUNNING, "w1", 2, {"n": [1, "é"]}, None, None, 30000,
              1700000060000, 1700000000000, 1700000000001)
    made, expected = task_of(values), Task(*values)
    assert made == expected and vars(made) == vars(expected)
    assert list(vars(made)) == [f.name for f in dataclasses.fields(Task)]
    assert hash(dataclasses.replace(made, data=None)) == hash(dataclasses.replace(expected, data=None))
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.pid = "w2"  # type: ignore[misc]
    with pytest.raises(ValueError):
        task_of(values[:-1])
