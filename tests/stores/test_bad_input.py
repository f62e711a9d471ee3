"""Contract-invalid input is refused with ``InvalidTask`` / ``InvalidArgument`` on
every backend, before a server is asked, and never as a driver's exception.

Each case also checks that nothing changed: the task written before the call is
exactly as it was, and no other task appeared."""

from __future__ import annotations

import secrets

import pytest

from stores import InvalidArgument, InvalidTask, TaskStoreError
from stores.bulk import BulkItem
from stores.validation import MAX_NAME_BYTES

#: Incompressible text just over the limit: PostgreSQL would compress a run of
#: one character below its index-entry limit, and hide the problem.
TOO_LONG = secrets.token_hex(MAX_NAME_BYTES)[: MAX_NAME_BYTES + 1]
#: At the limit in bytes (4-byte emoji): accepted everywhere.
LONGEST = "🚀" * (MAX_NAME_BYTES // 4)
TOO_LONG_EMOJI = LONGEST + "x"

#: Values that are not a usable id, topic, sub-topic, group or pid.
BAD_NAMES = {
    "empty": "",
    "nul": "a\x00b",
    "only-nul": "\x00",
    "lone-surrogate": "a\ud800b",
    "low-surrogate": "\udfff",
    "too-long": TOO_LONG,
    "too-long-emoji": TOO_LONG_EMOJI,
    "int": 5,
    "float": 1.5,
    "bool": True,
    "bytes": b"id",
    "list": ["id"],
    "dict": {"id": 1},
}


class Opaque:
    """Not a JSON type; a stable repr keeps xdist test ids equal across workers."""

    def __repr__(self) -> str:
        return "Opaque()"


def _deep(levels: int) -> list:
    value: list = []
    for _ in range(levels):
        value = [value]
    return value


BAD_DATA = {
    "nan": float("nan"),
    "inf": float("inf"),
    "-inf-inside": {"x": [1, float("-inf")]},
    "surrogate": "a\ud800",
    "surrogate-key": {"\udc80": 1},
    "int-key": {1: "x"},
    "none-key": {None: "x"},
    "tuple-key": {(1, 2): "x"},
    "set": {1, 2},
    "bytes": b"x",
    "bytearray": bytearray(b"x"),
    "object": Opaque(),
    "nested-object": {"a": [{"b": Opaque()}]},
    "complex": 1j,
    "too-deep": _deep(100_000),
}


@pytest.fixture
def seeded(store):
    """A running task ``t1`` (owner ``w``) and a snapshot function of the store."""
    store.create_task({"task_id": "t1", "topic": "q", "task_group_id": "g"})
    running = store.reserve_task("q", "w")
    assert running.task_id == "t1"

    def snapshot():
        return store.list_tasks({}, {"limit": 50}).data, store.topics()

    return store, running, snapshot


def _refused(call, error=(InvalidTask, InvalidArgument)) -> TaskStoreError:
    with pytest.raises(TaskStoreError) as caught:
        call()
    assert isinstance(caught.value, error), repr(caught.value)
    assert caught.value.__cause__ is None  # ours, not a driver's
    assert "\n" not in str(caught.value)
    return caught.value


def _operations(store, bad):
    """Every operation with ``bad`` in one of its name arguments."""
    return {
        "create.task_id": lambda: store.create_task({"task_id": bad, "topic": "q"}),
        "create.topic": lambda: store.create_task({"topic": bad}),
        "create.sub_topic": lambda: store.create_task({"topic": "q", "sub_topic": bad}),
        "create.task_group_id": lambda: store.create_task({"topic": "q", "task_group_id": bad}),
        "create_tasks": lambda: store.create_tasks([{"topic": "q"}, {"topic": "q", "task_id": bad}]),
        "task": lambda: store.task(bad),
        "tasks": lambda: store.tasks(bad),
        "list_tasks.topic": lambda: store.list_tasks({"topic": bad}),
        "list_tasks.sub_topic": lambda: store.list_tasks({"sub_topic": bad}),
        "list_tasks.status": lambda: store.list_tasks({"status": bad}),
        "list_leased_tasks": lambda: store.list_leased_tasks(bad),
        "cursor.after": lambda: store.list_tasks({}, {"limit": 5, "after": [1, bad]}),
        "leased.cursor.after": lambda: store.list_leased_tasks(None, {"limit": 5, "after": [1, bad]}),
        "reserve.topic": lambda: store.reserve_task(bad, "w"),
        "reserve.pid": lambda: store.reserve_task("q", bad),
        "extend.task_id": lambda: store.extend_lease(bad, "w"),
        "extend.pid": lambda: store.extend_lease("t1", bad),
        "terminate.task_id": lambda: store.terminate(bad, "w"),
        "terminate.pid": lambda: store.terminate("t1", bad),
        "fail.task_id": lambda: store.fail(bad, "w", "e"),
        "snooze.task_id": lambda: store.snooze(bad, "w", 1000),
        "revoke.task_id": lambda: store.revoke_lease(bad, 1),
        "bulk.task_id": lambda: store.apply_bulk("terminate", [BulkItem(bad, 2, "w")]),
        "bulk.pid": lambda: store.apply_bulk("terminate", [BulkItem("t1", 2, bad)]),
    }


@pytest.mark.parametrize("bad_name", BAD_NAMES, ids=str)
def test_bad_names_are_refused_everywhere(seeded, bad_name):
    store, running, snapshot = seeded
    bad = BAD_NAMES[bad_name]
    before = snapshot()
    for name, call in _operations(store, bad).items():
        if name.endswith("cursor.after") and bad in ("", TOO_LONG, TOO_LONG_EMOJI):
            continue  # any text may follow a position in a cursor: it only bounds the page
        try:
            _refused(call)
        except AssertionError as exc:
            raise AssertionError(f"{name}: {exc}") from None
    assert snapshot() == before
    assert store.task("t1") == running


def test_names_at_the_limit_are_accepted(store):
    task = store.create_task({"task_id": LONGEST, "topic": LONGEST, "sub_topic": LONGEST,
                              "task_group_id": LONGEST})
    assert store.task(LONGEST) == task
    running = store.reserve_task(LONGEST, LONGEST)
    assert running.pid == LONGEST
    assert store.list_tasks({"topic": LONGEST, "sub_topic": LONGEST}, {"limit": 5}).data == [running]


@pytest.mark.parametrize("name", BAD_DATA, ids=str)
def test_bad_data_is_refused(seeded, name):
    store, _running, snapshot = seeded
    before = snapshot()
    _refused(lambda: store.create_task({"topic": "q", "data": BAD_DATA[name]}), InvalidTask)
    _refused(lambda: store.create_tasks([{"topic": "q"}, {"topic": "q", "data": BAD_DATA[name]}]), InvalidTask)
    assert snapshot() == before


@pytest.mark.parametrize(
    "value",
    [0, -1, 1.0, 1.5, "1", None, True, float("nan"), float("inf"), 2**53, 2**63, 2**70, [1]],
    ids=repr,
)
def test_bad_record_versions_are_refused(seeded, value):
    store, _running, snapshot = seeded
    before = snapshot()
    calls = [
        lambda: store.revoke_lease("t1", value),
        lambda: store.apply_bulk("revoke", [BulkItem("t1", value)]),
    ]
    if value is not None:  # None is "no check" for these
        calls += [
            lambda: store.terminate("t1", "w", record_ver=value),
            lambda: store.fail("t1", "w", "e", record_ver=value),
            lambda: store.snooze("t1", "w", 1000, record_ver=value),
            lambda: store.extend_lease("t1", "w", record_ver=value),
        ]
    for call in calls:
        _refused(call, InvalidArgument)
    assert snapshot() == before


@pytest.mark.parametrize(
    "value", [0, -5, 1.5, "5m", None, True, float("nan"), float("inf"), 10**14 + 1, 2**63, [1000]], ids=repr
)
def test_bad_durations_and_times_are_refused(seeded, value):
    store, _running, snapshot = seeded
    before = snapshot()
    calls = [
        lambda: store.list_tasks({}, {"limit": value}),
    ]
    if value is not None:  # None is "no timeout"
        calls.append(lambda: store.create_task({"topic": "q", "timeout_ms": value}))
    if value != 0:  # 0 is a valid time in a cursor
        calls += [
            lambda: store.list_tasks({}, {"limit": 5, "after": [value, "t1"]}),
            lambda: store.list_leased_tasks(None, {"limit": 5, "after": [value, "t1"]}),
        ]
    if value is not None:  # None means "the default" for these
        calls += [
            lambda: store.snooze("t1", "w", value),
            lambda: store.apply_bulk("snooze", [BulkItem("t1", 2, "w")], snooze_ms=value),
        ]
    if value not in (0, None):  # 0 is a valid bound on updated_at
        calls += [
            lambda: store.list_tasks({"from_ms": value}),
            lambda: store.list_tasks({"to_ms": value}),
        ]
    for call in calls:
        _refused(call)
    assert snapshot() == before


@pytest.mark.parametrize(
    "call",
    [
        lambda s: s.fail("t1", "w", 42),
        lambda s: s.fail("t1", "w", "nul \x00 inside"),
        lambda s: s.fail("t1", "w", "lone \ud800"),
        lambda s: s.create_task({"topic": "q", "task_description": "lone \udbff"}),
        lambda s: s.create_task({"topic": "q", "task_description": "nul \x00"}),
        lambda s: s.create_task({"topic": "q", "task_description": ["x"]}),
        lambda s: s.create_task({"topic": "q", "status": "running", "unknown": 1}),
        lambda s: s.create_task({"topic": "q", 7: "non-text key"}),
        lambda s: s.create_task(["topic", "q"]),
        lambda s: s.create_tasks([{"topic": "q"}, "not a mapping"]),
        lambda s: s.create_tasks(None),
        lambda s: s.list_tasks("topic=q"),
        lambda s: s.list_tasks({"colour": "red"}),
        lambda s: s.list_tasks({}, "limit=5"),
        lambda s: s.list_tasks({}, {"limit": 5, "after": "x"}),
        lambda s: s.list_tasks({}, {"limit": 5, "after": [1, "a", 3]}),
        lambda s: s.list_tasks({}, {"limit": 5, "after": [None, "a"]}),
        lambda s: s.list_tasks({}, {"limit": 5, "page": 2}),
        lambda s: s.list_tasks({}, {"limit": 10**9}),
        lambda s: s.list_tasks({"status": "running "}),
        lambda s: s.apply_bulk("explode", []),
        lambda s: s.apply_bulk(["terminate"], []),
        lambda s: s.apply_bulk("terminate", ["t1"]),
        lambda s: s.apply_bulk("terminate", [BulkItem("t1", 2, "w"), BulkItem("t1", 2, "w")]),
        lambda s: s.apply_bulk("fail", [BulkItem("t1", 2, "w")], error="nul \x00"),
    ],
    ids=[f"case{i:02d}" for i in range(25)],
)
def test_other_invalid_calls_are_refused(seeded, call):
    store, _running, snapshot = seeded
    before = snapshot()
    _refused(lambda: call(store))
    assert snapshot() == before
