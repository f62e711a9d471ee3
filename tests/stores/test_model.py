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


def _decoded_later(values, decode=None):
    from stores.model import task_decoded_later

    return task_decoded_later(values[0], decode or (lambda source: list(source)), values)


def test_a_task_decoded_later_is_the_task_once_read():
    """``task_decoded_later`` (a hot statement's task, its fields decoded on first
    use): its id at once, and then everything a ``Task`` is: equal, hashable,
    the same ``repr``, replaced, copied and pickled as its fields, with ``vars``
    in field order once decoded."""
    import copy
    import pickle

    from stores.model import Task

    values = ("t1", "g1", None, "mail", "", TaskStatus.RUNNING, "w1", 2, {"n": [1, "é"]}, None, None, 30000,
              1700000060000, 1700000000000, 1700000000001)
    decodes = []

    def decode(source):
        decodes.append(source)
        return list(source)

    later = _decoded_later(values, decode)
    assert isinstance(later, Task) and later.task_id == "t1" and decodes == []
    assert later.data == {"n": [1, "é"]} and later.status is TaskStatus.RUNNING and len(decodes) == 1
    assert later.pid == "w1" and later.updated_at == 1700000000001 and len(decodes) == 1  # once
    assert list(vars(later)) == [f.name for f in dataclasses.fields(Task)]
    expected = Task(*values)
    assert later == expected and vars(later) == vars(expected) and repr(later) == repr(expected)
    for each in (_decoded_later(values), _decoded_later(values), _decoded_later(values)):  # not read before
        assert each == expected
    replaced = dataclasses.replace(_decoded_later(values), data=None)
    assert hash(replaced) == hash(dataclasses.replace(expected, data=None))
    assert pickle.loads(pickle.dumps(_decoded_later(values))) == expected
    assert vars(pickle.loads(pickle.dumps(_decoded_later(values)))) == vars(expected)
    assert vars(copy.copy(_decoded_later(values))) == vars(expected)
    assert copy.deepcopy(_decoded_later(values)) == expected
    assert dataclasses.asdict(_decoded_later(values)) == dataclasses.asdict(expected)
    with pytest.raises(dataclasses.FrozenInstanceError):
        _decoded_later(values).pid = "w2"  # type: ignore[misc]


def test_a_task_decoded_later_has_no_other_attributes():
    values = ("t1", "g1", None, "mail", "", TaskStatus.RUNNING, "w1", 2, None, None, None, None, None, 1, 2)
    later = _decoded_later(values)
    for name in ("nope", "__deepcopy__", "_undecoded_x"):
        with pytest.raises(AttributeError):
            getattr(later, name)
    assert not hasattr(later, "__copy__")
    assert later.topic == "mail"
    with pytest.raises(AttributeError, match="nope"):
        later.nope  # noqa: B018  (decoded now: still no such attribute)


@pytest.mark.parametrize("decoded", [
    ("t1", "g1"),  # too few values
    ("t2", "g1", None, "mail", "", TaskStatus.RUNNING, "w1", 2, None, None, None, None, None, 1, 2),  # another id
])
def test_a_task_that_decodes_wrong_says_so_on_first_read(decoded):
    from stores.model import task_decoded_later

    later = task_decoded_later("t1", lambda source: list(source), decoded)
    with pytest.raises(ValueError, match="'t1' decoded as"):
        later.data  # noqa: B018


def test_a_task_decoded_later_read_by_threads_at_once():
    """Two threads that read a field of the same undecoded task both get it (the
    decoding is done twice at worst, never half seen)."""
    import threading

    values = ("t1", "g1", None, "mail", "", TaskStatus.RUNNING, "w1", 2, {"n": 1}, None, None, None, None, 1, 2)
    def read(task, seen):
        seen.append((task.data, task.updated_at))

    for _ in range(200):
        later = _decoded_later(values)
        seen: list[tuple] = []
        threads = [threading.Thread(target=read, args=(later, seen)) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert seen == [({"n": 1}, 2)] * 4


def test_a_field_read_as_another_thread_finishes_decoding_is_found():
    """The other thread's decoding lands between a reader's failed lookup and its
    ``__getattr__`` (the fields in, the source gone): the reader gets the field."""
    from stores.model import _decode_later, task_of

    values = ("t1", "g1", None, "mail", "", TaskStatus.RUNNING, "w1", 2, {"n": 1}, None, None, None, None, 1, 2)
    decoded = task_of(values)  # what the other thread leaves: every field, no source
    assert _decode_later(decoded, "data") == {"n": 1}
    with pytest.raises(AttributeError):
        _decode_later(decoded, "nope")
