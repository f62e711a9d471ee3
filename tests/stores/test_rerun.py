"""rerun_task: a failed or terminated task runs again as a new task; the original
stays as it was (failed is final), and the audit trail links the two."""

from __future__ import annotations

import pytest

from stores import (
    InvalidArgument,
    InvalidStatus,
    ReadOnlyStore,
    TaskConcurrentlyUpdated,
    TaskNotFound,
    TaskStatus,
)
from stores.audit import Operator
from stores.bulk import BulkItem, BulkOutcome
from stores.failures import MAX_RERUN_DESCRIPTION


def finished(store, how="fail", topic="rr", **fields):
    """A task of ``topic`` (which has no other starting task) failed or terminated."""
    task = store.create_task({"topic": topic, **fields})
    assert store.reserve_task(topic, "w").task_id == task.task_id
    if how == "fail":
        return store.fail(task.task_id, "w", "boom\ntrace")
    return store.terminate(task.task_id, "w")


@pytest.mark.parametrize("how", ["fail", "terminate"])
def test_rerun_makes_a_new_task(store, how):
    original = finished(
        store, how, task_description="nightly export", sub_topic="eu", data={"n": [1, 2.5, None]},
        timeout_ms=9_000, task_group_id="g1",
    )
    new = store.rerun_task(original.task_id, original.record_ver)
    assert new.task_id != original.task_id
    assert (new.topic, new.sub_topic, new.data, new.task_group_id, new.timeout_ms) == (
        "rr", "eu", {"n": [1, 2.5, None]}, "g1", 9_000)
    assert new.status == TaskStatus.STARTING and new.record_ver == 1 and new.error is None
    assert new.task_description == f"re-run of {original.task_id}: nightly export"
    assert store.task(new.task_id) == new
    assert store.task(original.task_id) == original  # untouched: failed is final
    assert store.reserve_task("rr", "w2").task_id == new.task_id  # the operator's retry
    counts = {s.topic: s.counts for s in store.topics()}["rr"]
    assert counts["running"] == 1 and counts[original.status] == 1


def test_description_is_bounded_and_optional(store):
    plain = finished(store, topic="plain")
    assert store.rerun_task(plain.task_id, plain.record_ver).task_description == f"re-run of {plain.task_id}"
    long = finished(store, topic="long", task_description="x" * 5_000)
    text = store.rerun_task(long.task_id, long.record_ver).task_description
    assert len(text) == MAX_RERUN_DESCRIPTION and text.endswith("…")


def test_refusals_change_nothing(store):
    done = finished(store)
    starting = store.create_task({"task_id": "s1", "topic": "rr"})
    with pytest.raises(InvalidStatus) as caught:
        store.rerun_task("s1", 1)
    assert caught.value.task_id == "s1" and caught.value.code == "invalid-status"
    with pytest.raises(TaskConcurrentlyUpdated):
        store.rerun_task(done.task_id, done.record_ver - 1)
    with pytest.raises(TaskNotFound):
        store.rerun_task("no-such-task", 1)
    with pytest.raises(InvalidArgument):
        store.rerun_task(done.task_id, 0)
    assert store.task("s1") == starting
    assert {s.topic: s.counts for s in store.topics()}["rr"]["starting"] == 1  # no new task anywhere


def test_read_only_store_refuses(store, make_store):
    done = finished(store)
    reader = make_store(read_only=True, namespace=store.namespace)
    with pytest.raises(ReadOnlyStore):
        reader.rerun_task(done.task_id, done.record_ver)


def test_audit_links_both_ways(make_store):
    store = make_store(operator=Operator("ana", "desk", "test"))
    original = finished(store)
    new = store.rerun_task(original.task_id, original.record_ver)
    (rerun,) = [e for e in store.audit_log(original.task_id).data if e.action == "rerun"]
    assert (rerun.detail, rerun.status_before, rerun.status_after) == (new.task_id, "failed", "failed")
    assert (rerun.record_ver_before, rerun.record_ver_after) == (original.record_ver, original.record_ver)
    assert rerun.user == "ana"
    (create,) = store.audit_log(new.task_id).data
    assert (create.action, create.detail, create.status_after, create.at) == (
        "create", original.task_id, "starting", new.created_at)


def test_rerun_in_bulk(make_store):
    store = make_store(operator=Operator("ana", "desk", "test"))
    a, b = finished(store, topic="b1"), finished(store, "terminate", topic="b2")
    running = store.create_task({"topic": "b3"})
    items = [BulkItem(t.task_id, t.record_ver, None, t.status) for t in (a, b)]
    items += [BulkItem(running.task_id, 1), BulkItem(a.task_id + "x", 1), ]
    stale = finished(store, topic="b4")
    items.append(BulkItem(stale.task_id, stale.record_ver + 1))
    results = store.apply_bulk("rerun", items, batch_id="batch-1")
    assert [r.outcome for r in results] == [
        BulkOutcome.DONE, BulkOutcome.DONE, BulkOutcome.REFUSED, BulkOutcome.GONE, BulkOutcome.SKIPPED]
    for item, result in zip(items[:2], results[:2], strict=True):
        assert result.task is not None and result.task.task_description == f"re-run of {item.task_id}"
        assert store.task(result.task.task_id) == result.task
        assert store.task(item.task_id).record_ver == item.record_ver
    assert all(r.reason for r in results[2:])
    batches = {e.batch_id for e in store.audit_log(a.task_id).data if e.action == "rerun"}
    assert batches == {"batch-1"}
