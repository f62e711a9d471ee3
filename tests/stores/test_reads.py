"""task, tasks, list_tasks, scroll."""

from __future__ import annotations

import time
from collections.abc import Mapping

import pytest

from stores import InvalidArgument, TaskStatus, scroll


def test_missing_task_and_group(store):
    assert store.task("nope") is None
    assert store.tasks("nope") == []
    with pytest.raises(InvalidArgument):
        store.task("")
    with pytest.raises(InvalidArgument):
        store.task(None)


def test_group_oldest_first_across_topics(store):
    ids = []
    for i in range(6):
        ids.append(store.create_task({"topic": f"t{i % 2}", "task_group_id": "g", "data": i}).task_id)
        time.sleep(0.002)
    store.create_task({"topic": "t0", "task_group_id": "other"})
    assert [t.task_id for t in store.tasks("g")] == ids


def _fill(store, n, **extra):
    tasks = []
    for i in range(n):
        tasks.append(store.create_task({"topic": "list", "data": i, **extra}))
    return tasks


def test_list_newest_updated_first_and_filters(store):
    a = store.create_task({"topic": "list", "sub_topic": "a"})
    time.sleep(0.003)
    b = store.create_task({"topic": "list", "sub_topic": "b"})
    time.sleep(0.003)
    c = store.create_task({"topic": "other"})
    time.sleep(0.003)
    running = store.reserve_task("list", "w1")  # a, the oldest, now updated last
    assert running.task_id == a.task_id

    def ids(filters):
        return [t.task_id for t in store.list_tasks(filters, {"limit": 50}).data]

    assert ids({}) == [a.task_id, c.task_id, b.task_id]
    assert ids({"topic": "list"}) == [a.task_id, b.task_id]
    assert ids({"topic": "list", "status": "starting"}) == [b.task_id]
    assert ids({"topic": "list", "status": TaskStatus.RUNNING}) == [a.task_id]
    assert ids({"sub_topic": "b"}) == [b.task_id]
    assert ids({"topic": "list", "sub_topic": "a", "status": "running"}) == [a.task_id]
    assert ids({"status": "failed"}) == []
    assert ids({"from_ms": b.updated_at, "to_ms": c.updated_at}) == [c.task_id, b.task_id]
    assert ids({"from_ms": running.updated_at}) == [a.task_id]
    assert ids({"to_ms": b.updated_at}) == [b.task_id]
    assert ids({"from_ms": running.updated_at + 1}) == []


def test_full_scroll_returns_each_task_once_in_order(store):
    created = store.create_tasks([{"topic": "list", "data": i} for i in range(120)])
    for _task in created[:30]:  # spread updated_at, with many ties among the rest
        store.reserve_task("list", "w")
    pages, cursor = [], {"limit": 7}
    while cursor is not None:
        page = store.list_tasks({"topic": "list"}, cursor)
        assert len(page.data) <= 7
        pages.append(page.data)
        cursor = page.cursor
    assert all(len(p) == 7 for p in pages[:-1]) and 1 <= len(pages[-1]) <= 7
    listed = [t for page in pages for t in page]
    assert sorted(t.task_id for t in listed) == sorted(t.task_id for t in created)
    keys = [(t.updated_at, t.task_id) for t in listed]
    assert keys == sorted(keys, reverse=True)
    assert [t.task_id for t in scroll(lambda c: store.list_tasks({"topic": "list"}, c), {"limit": 11})] == [
        t.task_id for t in listed
    ]


def test_exact_last_page_has_no_cursor(store):
    store.create_tasks([{"topic": "list"} for _ in range(10)])
    first = store.list_tasks({"topic": "list"}, {"limit": 5})
    second = store.list_tasks({"topic": "list"}, first.cursor)
    assert len(first.data) == len(second.data) == 5
    assert second.cursor is None
    assert store.list_tasks({"topic": "list"}, {"limit": 10}).cursor is None


def test_scroll_skips_nothing_when_tasks_change_during_it(store):
    created = store.create_tasks([{"topic": "list", "data": i} for i in range(40)])
    seen: list[str] = []
    cursor: Mapping[str, object] | None = {"limit": 10}
    changed: set[str] = set()
    while cursor is not None:
        page = store.list_tasks({"topic": "list"}, cursor)
        seen.extend(t.task_id for t in page.data)
        if not changed:  # a task moves to the front: unchanged tasks must still appear once
            moved = store.reserve_task("list", "w")
            changed.add(moved.task_id)
        cursor = page.cursor
    unchanged = {t.task_id for t in created} - changed
    assert all(seen.count(task_id) == 1 for task_id in unchanged)


@pytest.mark.parametrize(
    "filters",
    [{"status": "bogus"}, {"colour": "red"}, {"topic": 3}, {"from_ms": "yesterday"}, {"to_ms": -5}, "topic=x"],
    ids=repr,
)
def test_bad_filters(store, filters):
    with pytest.raises(InvalidArgument):
        store.list_tasks(filters, {"limit": 10})


@pytest.mark.parametrize(
    "cursor",
    [
        {"limit": 0}, {"limit": -1}, {"limit": "10"}, {"limit": 10, "after": "garbage"},
        {"limit": 10, "after": [1]}, {"x": 1}, 5,
    ],
    ids=repr,
)
def test_bad_cursors(store, cursor):
    with pytest.raises(InvalidArgument):
        store.list_tasks({}, cursor)
    with pytest.raises(InvalidArgument):
        store.list_leased_tasks(None, cursor)


def test_default_cursor(store):
    store.create_tasks([{"topic": "list"} for _ in range(3)])
    assert len(store.list_tasks().data) == 3
    assert len(store.list_tasks({"topic": "list"}, None).data) == 3
