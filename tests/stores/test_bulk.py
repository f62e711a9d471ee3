"""apply_bulk: many tasks at once, each only at the version the operator saw."""

from __future__ import annotations

import pytest

from stores import InvalidArgument, ReadOnlyStore
from stores.bulk import BulkItem, BulkOutcome


def mark(task) -> BulkItem:
    return BulkItem(task.task_id, task.record_ver, task.pid, task.status)


@pytest.fixture
def scene(store):
    """Tasks as an operator marked them, then the world moved on for some."""
    store.create_tasks([{"task_id": f"t{i:02d}", "topic": "bulk"} for i in range(8)])
    running = [store.reserve_task("bulk", f"w{i}") for i in range(5)]
    marked = {t.task_id: mark(t) for t in running}
    starting = store.task("t05")
    marked["t05"] = mark(starting)
    marked["gone"] = BulkItem("gone", 1, None)
    store.extend_lease("t01", "w1")  # changed since marked
    done = store.terminate("t02", "w2")  # finished since marked (changed too)
    return store, marked, done


@pytest.mark.parametrize("action", ["revoke", "terminate", "fail", "snooze"])
def test_each_outcome(scene, action):
    store, marked, _ = scene
    before = {task_id: store.task(task_id) for task_id in marked}
    results = store.apply_bulk(action, list(marked.values()), error="bulk failed", snooze_ms=60_000)
    by_id = {r.task_id: r for r in results}
    assert [r.task_id for r in results] == list(marked)  # one result per item, in order
    assert by_id["t00"].outcome == BulkOutcome.DONE and by_id["t03"].outcome == BulkOutcome.DONE
    assert by_id["t01"].outcome == BulkOutcome.SKIPPED and by_id["t02"].outcome == BulkOutcome.SKIPPED
    assert by_id["gone"].outcome == BulkOutcome.GONE
    expected_for_starting = BulkOutcome.DONE if action in ("terminate", "fail") else BulkOutcome.REFUSED
    assert by_id["t05"].outcome == expected_for_starting
    target = {"revoke": "starting", "terminate": "terminated", "fail": "failed", "snooze": "snoozed"}[action]
    for task_id, result in by_id.items():
        if result.outcome == BulkOutcome.DONE:
            after = store.task(task_id)
            assert result.task == after and after.status == target
            assert after.record_ver == before[task_id].record_ver + 1 and after.pid is None
            if action == "fail":
                assert after.error == "bulk failed"
            if action == "snooze":
                assert after.snooze_time == 60_000
        elif task_id != "gone":
            assert store.task(task_id) == before[task_id], f"{task_id} was written though {result.outcome}"
            assert result.reason


def test_many_chunks(store):
    store.create_tasks([{"topic": "many"} for _ in range(1_200)])
    items = [mark(store.reserve_task("many", "w")) for _ in range(1_200)]
    results = store.apply_bulk("revoke", items)
    assert len(results) == 1_200 and {r.outcome for r in results} == {BulkOutcome.DONE}
    (stats,) = store.topics()
    assert stats.counts["starting"] == 1_200 and stats.counts["running"] == 0


def test_bad_bulk_input(store, make_store):
    store.create_task({"task_id": "a", "topic": "x"})
    for call in (
        lambda: store.apply_bulk("explode", [BulkItem("a", 1)]),
        lambda: store.apply_bulk("revoke", [("a", 1)]),
        lambda: store.apply_bulk("revoke", [BulkItem("a", 0)]),
        lambda: store.apply_bulk("revoke", [BulkItem("a", 1), BulkItem("a", 1)]),
        lambda: store.apply_bulk("snooze", [BulkItem("a", 1)], snooze_ms=-1),
    ):
        with pytest.raises(InvalidArgument):
            call()
    assert store.apply_bulk("revoke", []) == []
    reader = make_store(read_only=True, namespace=store.namespace)
    with pytest.raises(ReadOnlyStore):
        reader.apply_bulk("terminate", [BulkItem("a", 1)])
    assert store.task("a").record_ver == 1
