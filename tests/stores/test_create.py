"""create_task and create_tasks."""

from __future__ import annotations

import re
import time

import pytest

from stores import InvalidTask, ReadOnlyStore, TaskAlreadyExists, TaskStatus


def test_create_defaults(store):
    before = store.now_ms()
    task = store.create_task({"topic": "mail", "data": {"to": "a@b"}})
    after = store.now_ms()
    assert re.fullmatch(r"[a-z2-7]{26}", task.task_id)
    assert task.task_group_id == task.task_id
    assert task.task_description is None
    assert task.sub_topic == "default"
    assert task.status is TaskStatus.STARTING
    assert (task.pid, task.error, task.snooze_time, task.timeout_ms, task.lease_expires_at) == (
        None, None, None, None, None,
    )
    assert task.record_ver == 1
    assert before <= task.created_at == task.updated_at <= after
    assert store.task(task.task_id) == task


def test_create_with_every_field_and_forced_status(store):
    task = store.create_task(
        {
            "task_id": "job-1",
            "task_group_id": "batch-7",
            "task_description": "nightly sync",
            "topic": "sync",
            "sub_topic": "products",
            "timeout_ms": 10_000,
            "data": {"op": "sync"},
            "status": "running",
            "pid": "intruder",
            "record_ver": 99,
            "error": "x",
            "lease_expires_at": 5,
        }
    )
    assert (task.task_id, task.task_group_id, task.task_description) == ("job-1", "batch-7", "nightly sync")
    assert (task.topic, task.sub_topic, task.timeout_ms) == ("sync", "products", 10_000)
    assert task.status == "starting" and task.pid is None and task.record_ver == 1
    assert task.error is None and task.lease_expires_at is None
    assert store.task("job-1") == task


def test_generated_ids_are_unique(store):
    ids = {store.create_task({"topic": "t"}).task_id for _ in range(50)}
    assert len(ids) == 50


class Opaque:
    """Not a JSON type; a stable repr keeps test ids equal across xdist workers."""

    def __repr__(self) -> str:
        return "Opaque()"


DATA_VALUES = [
    None,
    True,
    0,
    -7,
    2**63 + 5,
    1.5,
    -0.25,
    1e300,
    "",
    "plain",
    "emoji 🚀 and 中文 and \u0000 nul and \x1b[2J escape",
    [],
    {},
    [1, "two", None, {"three": [3.0]}],
    {"nested": {"deep": [{"a": 1}, {"b": [True, False]}]}, "k": "[/] [@click=app.quit]x[/]"},
]


@pytest.mark.parametrize("data", DATA_VALUES, ids=[repr(v)[:30] for v in DATA_VALUES])
def test_data_round_trips_exactly(store, data):
    task = store.create_task({"topic": "t", "data": data})
    loaded = store.task(task.task_id).data
    assert loaded == data and type(loaded) is type(data)
    if isinstance(data, float):
        assert repr(loaded) == repr(data)


def test_large_and_deep_data_round_trip(store):
    deep: list = []
    for _ in range(500):
        deep = [deep]
    big = {"blob": "x" * 1_000_000, "deep": deep}
    task = store.create_task({"topic": "t", "data": big})
    assert store.task(task.task_id).data == big


@pytest.mark.parametrize(
    "task",
    [
        {},
        {"topic": ""},
        {"topic": None},
        {"topic": 5},
        {"data": 1},
        {"topic": "t", "data": {1: "int key"}},
        {"topic": "t", "data": float("nan")},
        {"topic": "t", "data": {"x": float("inf")}},
        {"topic": "t", "data": {1, 2}},
        {"topic": "t", "data": Opaque()},
        {"topic": "t", "data": b"bytes"},
        {"topic": "t", "task_id": ""},
        {"topic": "t", "task_id": 7},
        {"topic": "t", "task_group_id": 3},
        {"topic": "t", "sub_topic": ""},
        {"topic": "t", "task_description": 1},
        {"topic": "t", "timeout_ms": "10"},
        {"topic": "t", "timeout_ms": -1},
        {"topic": "t", "timeout_ms": True},
        {"topic": "t", "task_id": "a\x00b"},
        {"topic": "t", "topc": "typo"},
        "not a mapping",
        None,
    ],
    ids=repr,
)
def test_invalid_tasks_are_refused(store, task):
    with pytest.raises(InvalidTask) as caught:
        store.create_task(task)
    assert caught.value.code == "invalid-task"
    assert store.list_tasks({}, {"limit": 10}).data == []


def test_existing_id_is_refused(store):
    first = store.create_task({"task_id": "dup", "topic": "a", "data": 1})
    with pytest.raises(TaskAlreadyExists) as caught:
        store.create_task({"task_id": "dup", "topic": "b", "data": 2})
    assert caught.value.task_id == "dup" and caught.value.code == "task-already-exists"
    assert store.task("dup") == first


def test_ids_with_awkward_characters(store):
    for task_id in ["with space", "quote'\"", "slash/back\\slash", "emoji 🚀", "{brace}", "a:b%c", "*"]:
        task = store.create_task({"task_id": task_id, "topic": "odd {topic}:%", "data": task_id})
        assert store.task(task_id) == task
    assert len(store.list_tasks({"topic": "odd {topic}:%"}, {"limit": 100}).data) == 7


def test_create_tasks_in_bulk(store):
    specs = [
        {"topic": f"bulk{i % 3}", "data": {"i": i}, "task_group_id": f"g{i % 10}"} for i in range(2_500)
    ]
    started = time.monotonic()
    created = store.create_tasks(specs)
    assert time.monotonic() - started < 30
    assert [t.data for t in created] == [s["data"] for s in specs]
    assert all(t.status == "starting" and t.record_ver == 1 for t in created)
    assert store.task(created[1234].task_id) == created[1234]
    counts = {s.topic: s.counts[TaskStatus.STARTING] for s in store.topics()}
    assert counts == {"bulk0": 834, "bulk1": 833, "bulk2": 833}
    assert len(store.tasks("g3")) == 250
    assert store.create_tasks([]) == []


def test_create_tasks_is_all_or_nothing(store):
    store.create_task({"task_id": "taken", "topic": "a"})
    with pytest.raises(TaskAlreadyExists) as caught:
        fresh = [{"task_id": f"new{i}", "topic": "a"} for i in range(5)]
        store.create_tasks([*fresh, {"task_id": "taken", "topic": "b"}])
    assert caught.value.task_id == "taken"
    with pytest.raises(TaskAlreadyExists):
        store.create_tasks([{"task_id": "twice", "topic": "a"}, {"task_id": "twice", "topic": "a"}])
    with pytest.raises(InvalidTask):
        store.create_tasks([{"task_id": "fine", "topic": "a"}, {"topic": ""}])
    assert [t.task_id for t in store.list_tasks({}, {"limit": 50}).data] == ["taken"]
    assert store.task("new0") is None and store.task("twice") is None and store.task("fine") is None


def test_read_only_store_cannot_create(make_store):
    make_store()  # creates the schema
    reader = make_store(read_only=True)
    with pytest.raises(ReadOnlyStore):
        reader.create_task({"topic": "t"})
    with pytest.raises(ReadOnlyStore):
        reader.create_tasks([{"topic": "t"}])
    assert reader.topics() == []
