"""Batched leases (issue 15 §3): ``reserve_tasks``, ``terminate_many`` and
``extend_leases`` on every backend, Redis Cluster included. A batch keeps the
single writes' checks per task (owner, version, status): a task whose check
fails is left exactly as it was and gets the outcome of the error the single
write would have raised; the others are written, counted and audited as single
writes are."""

from __future__ import annotations

import threading

import pytest

from stores import BatchOutcome, BatchResult, InvalidArgument, ReadOnlyStore, TaskStatus, scroll
from stores.audit import Operator
from stores.batch import MAX_BATCH
from tests.stores.clock import wait_past

ALICE = Operator("alice", "ops-box", "sokka")


def _fill(store, topic, n, prefix=""):
    return store.create_tasks([{"task_id": f"{prefix}{topic}-{i:03d}", "topic": topic} for i in range(n)])


def _counts(store, topic):
    stats = {s.topic: s for s in store.topics()}
    return {str(k): v for k, v in stats[topic].counts.items() if v}


def test_reserve_tasks_takes_what_reserve_task_would_take_one_by_one(make_store):
    batched = make_store(lease_time_ms=60_000)
    single = make_store(namespace=batched.namespace + "_one", lease_time_ms=60_000)
    for store in (batched, single):
        _fill(store, "mail", 7)
    before = batched.now_ms()
    got = batched.reserve_tasks("mail", "w1", 5)
    one_by_one = [single.reserve_task("mail", "w1") for _ in range(5)]
    assert [t.task_id for t in got] == [t.task_id for t in one_by_one] == [f"mail-{i:03d}" for i in range(5)]
    for task in got:
        assert (task.status, task.pid, task.record_ver) == (TaskStatus.RUNNING, "w1", 2)
        assert before + 60_000 <= task.lease_expires_at <= batched.now_ms() + 60_000
        assert batched.task(task.task_id) == task
    assert [t.task_id for t in batched.reserve_tasks("mail", "w2", 5)] == ["mail-005", "mail-006"]
    assert batched.reserve_tasks("mail", "w2", 5) == []
    assert _counts(batched, "mail") == {"running": 7}


def test_reserve_tasks_takes_ended_leases_and_snoozes_too(short_store):
    store = short_store
    _fill(store, "mail", 3)
    a, b = store.reserve_tasks("mail", "gone-worker", 2)
    wait_past(store, b.lease_expires_at)
    got = store.reserve_tasks("mail", "w2", 10)
    assert [t.task_id for t in got] == ["mail-000", "mail-001", "mail-002"]  # by created_at, as one by one
    assert all(t.pid == "w2" and t.status == TaskStatus.RUNNING for t in got)
    assert [t.record_ver for t in got] == [a.record_ver + 1, b.record_ver + 1, 2]
    assert _counts(store, "mail") == {"running": 3}


def test_reserve_tasks_takes_nothing_while_paused(store):
    _fill(store, "mail", 3)
    store.pause_topic("mail")
    assert store.reserve_tasks("mail", "w", 3) == []
    store.resume_topic("mail")
    assert len(store.reserve_tasks("mail", "w", 3)) == 3


def test_concurrent_batched_reservers_never_share_a_task(make_store):
    first = make_store(lease_time_ms=60_000)
    others = [make_store(namespace=first.namespace, lease_time_ms=60_000) for _ in range(3)]
    _fill(first, "mail", 120)
    taken: list[list[str]] = [[] for _ in others]

    def reserve(i, store):
        while batch := store.reserve_tasks("mail", f"w{i}", 7):
            taken[i].extend(t.task_id for t in batch)
            assert all(t.pid == f"w{i}" for t in batch)

    threads = [threading.Thread(target=reserve, args=(i, s)) for i, s in enumerate(others)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    every = [task_id for ids in taken for task_id in ids]
    assert sorted(every) == [f"mail-{i:03d}" for i in range(120)]  # each exactly once
    assert _counts(first, "mail") == {"running": 120}


def test_terminate_many_writes_what_its_checks_allow_and_nothing_else(make_store):
    store = make_store(lease_time_ms=60_000)
    other = make_store(namespace=store.namespace, lease_time_ms=60_000)
    _fill(store, "mail", 5)
    mine = store.reserve_tasks("mail", "w1", 3)
    theirs = other.reserve_task("mail", "w2")
    stale = mine[1]
    store.extend_lease(stale.task_id, "w1")  # its version moved on
    after_extend = store.task(stale.task_id)
    results = store.terminate_many(
        [(mine[0].task_id, mine[0].record_ver), (stale.task_id, stale.record_ver),
         (theirs.task_id, theirs.record_ver), ("no-such-task", 1), (mine[2].task_id, mine[2].record_ver)],
        "w1",
    )
    assert [r.task_id for r in results] == [mine[0].task_id, stale.task_id, theirs.task_id, "no-such-task",
                                            mine[2].task_id]
    assert [r.outcome for r in results] == ["ok", "changed", "wrong_owner", "gone", "ok"]
    assert [r.code for r in results] == ["", "task-concurrently-updated", "wrong-owner", "task-not-found", ""]
    assert all(isinstance(r, BatchResult) and isinstance(r.outcome, BatchOutcome) for r in results)
    done = results[0].task
    assert (done.status, done.pid, done.lease_expires_at, done.record_ver) == (
        TaskStatus.TERMINATED, None, None, mine[0].record_ver + 1)
    assert store.task(mine[0].task_id) == done and store.task(mine[2].task_id) == results[4].task
    # Nothing applied to the refused ones; each result carries the task as the store saw it.
    assert store.task(stale.task_id) == after_extend == results[1].task
    assert store.task(theirs.task_id) == theirs == results[2].task
    assert results[3].task is None
    assert "version" in results[1].reason and "w2" in results[2].reason
    assert _counts(store, "mail") == {"terminated": 2, "running": 2, "starting": 1}
    # Terminated already: a second try is refused (the single write's transition check).
    (again,) = store.terminate_many([(done.task_id, done.record_ver)], "w1")
    assert (again.outcome, again.code) == ("changed", "invalid-status-transition")


def test_terminate_many_of_a_snoozed_task_needs_no_owner(store):
    # As terminate: the owner check is skipped for a snoozed task.
    _fill(store, "mail", 1)
    task = store.reserve_task("mail", "w1")
    slept = store.snooze(task.task_id, "w1", 60_000)
    (result,) = store.terminate_many([(slept.task_id, slept.record_ver)], "w9")
    assert result.outcome == "ok" and result.task.status == TaskStatus.TERMINATED


def test_extend_leases_renews_held_leases_and_refuses_the_rest(short_store, make_store):
    store = short_store
    _fill(store, "mail", 6)
    a, b, expired = store.reserve_tasks("mail", "w1", 3)
    wait_past(store, expired.lease_expires_at)
    a, b = (store.reserve_task("mail", "w1") for _ in range(2))  # the ended leases, again
    assert {a.task_id, b.task_id} <= {"mail-000", "mail-001"}
    expired = store.reserve_task("mail", "w1")  # mail-002, its lease is short too
    theirs = store.reserve_task("mail", "w2")
    done = store.reserve_task("mail", "w1")
    store.terminate(done.task_id, "w1")
    starting = "mail-005"
    wait_past(store, expired.lease_expires_at)
    a, b = (store.task(t.task_id) for t in (a, b))
    results = store.extend_leases("w1", [expired.task_id, theirs.task_id, done.task_id, starting, "nope"])
    assert [(r.outcome, r.code) for r in results] == [
        ("changed", "lease-expired"), ("wrong_owner", "wrong-owner"), ("changed", "already-done"),
        ("changed", "invalid-status"), ("gone", "task-not-found")]
    for result in results[:4]:  # nothing applied
        assert store.task(result.task_id) == result.task
    long = make_store(namespace=store.namespace, lease_time_ms=60_000)
    fresh = long.reserve_tasks("mail", "w1", 2)  # mail-002 and mail-000/1 have ended leases now
    before = long.now_ms()
    results = long.extend_leases("w1", [t.task_id for t in fresh])
    assert [r.outcome for r in results] == ["ok", "ok"]
    for task, result in zip(fresh, results, strict=True):
        assert result.task.record_ver == task.record_ver + 1
        assert result.task.lease_expires_at >= before + 60_000
        assert long.task(task.task_id) == result.task
    assert _counts(long, "mail")["running"] == 4


def test_a_batch_may_mix_topics(store):
    # The store splits it per topic (one script per topic on Redis, each in its
    # slot on a cluster); the results keep the order given.
    _fill(store, "mail", 2)
    _fill(store, "jobs", 2)
    tasks = [*store.reserve_tasks("mail", "w", 2), *store.reserve_tasks("jobs", "w", 2)]
    order = [tasks[2], tasks[0], tasks[3], tasks[1]]
    extended = store.extend_leases("w", [t.task_id for t in order])
    assert [r.task_id for r in extended] == [t.task_id for t in order]
    assert [r.outcome for r in extended] == ["ok"] * 4
    results = store.terminate_many([(r.task_id, r.task.record_ver) for r in extended], "w")
    assert [(r.task_id, r.outcome) for r in results] == [(t.task_id, "ok") for t in order]
    assert _counts(store, "mail") == {"terminated": 2} and _counts(store, "jobs") == {"terminated": 2}


def test_a_fresh_store_finds_the_topics_of_ids_it_never_saw(make_store):
    writer = make_store(lease_time_ms=60_000)
    _fill(writer, "mail", 2)
    tasks = writer.reserve_tasks("mail", "w", 2)
    fresh = make_store(namespace=writer.namespace, lease_time_ms=60_000)
    assert [r.outcome for r in fresh.extend_leases("w", [t.task_id for t in tasks])] == ["ok", "ok"]
    now = [fresh.task(t.task_id) for t in tasks]
    fresh2 = make_store(namespace=writer.namespace, lease_time_ms=60_000)
    results = fresh2.terminate_many([(t.task_id, t.record_ver) for t in now], "w")
    assert [r.outcome for r in results] == ["ok", "ok"]


def test_batches_are_audited_as_single_writes(make_store):
    operator = make_store(operator=ALICE, lease_time_ms=60_000)
    _fill(operator, "mail", 2)
    a, b = operator.reserve_tasks("mail", "w", 2)
    (ext,) = operator.extend_leases("w", [a.task_id])
    (term,) = operator.terminate_many([(a.task_id, ext.task.record_ver)], "w")
    operator.terminate_many([(b.task_id, 99)], "w")  # refused: nothing recorded
    entries = list(scroll(lambda cursor: operator.audit_log(a.task_id, cursor), {"limit": 10}))
    assert [(e.action, e.status_before, e.status_after, e.record_ver_before, e.record_ver_after)
            for e in entries] == [
        ("terminate", "running", "terminated", 3, 4), ("extend", "running", "running", 2, 3),
        ("reserve", "starting", "running", 1, 2), ("create", None, "starting", None, 1)]
    assert entries[0].at == term.task.updated_at and entries[2].detail == "w"
    assert [e.action for e in scroll(lambda c: operator.audit_log(b.task_id, c), {"limit": 10})] == [
        "reserve", "create"]


@pytest.mark.parametrize("call", [
    lambda s: s.reserve_tasks("mail", "w", 0),
    lambda s: s.reserve_tasks("mail", "w", MAX_BATCH + 1),
    lambda s: s.reserve_tasks("mail", "w", True),
    lambda s: s.reserve_tasks("mail", "", 1),
    lambda s: s.terminate_many([("a", 1), ("a", 2)], "w"),
    lambda s: s.terminate_many([("a", 0)], "w"),
    lambda s: s.terminate_many([("a",)], "w"),
    lambda s: s.terminate_many("ab", "w"),
    lambda s: s.terminate_many([("a", 1)], None),
    lambda s: s.terminate_many([(f"t{i}", 1) for i in range(MAX_BATCH + 1)], "w"),
    lambda s: s.extend_leases("w", ["a", "a"]),
    lambda s: s.extend_leases("w", "a"),
    lambda s: s.extend_leases("", ["a"]),
    lambda s: s.extend_leases("w", [f"t{i}" for i in range(MAX_BATCH + 1)]),
])
def test_bad_batches_are_refused_before_anything_is_sent(store, call):
    _fill(store, "mail", 1)
    with pytest.raises(InvalidArgument):
        call(store)
    assert _counts(store, "mail") == {"starting": 1}


def test_empty_batches_are_nothing(store):
    assert store.terminate_many([], "w") == [] and store.extend_leases("w", []) == []


def test_a_read_only_store_refuses_batches(make_store):
    store = make_store(lease_time_ms=60_000)
    _fill(store, "mail", 1)
    reader = make_store(namespace=store.namespace, read_only=True)
    for call in (lambda: reader.reserve_tasks("mail", "w", 2), lambda: reader.terminate_many([("mail-000", 1)], "w"),
                 lambda: reader.extend_leases("w", ["mail-000"])):
        with pytest.raises(ReadOnlyStore):
            call()
    assert _counts(store, "mail") == {"starting": 1}


def test_batched_writes_count_into_rates_as_single_writes(store):
    # terminate_many counts into the rates exactly as terminate does (terminated,
    # in the bucket of its updated_at); reservations and renewals are not counted;
    # a refused task is not counted.
    _fill(store, "mail", 4)
    tasks = store.reserve_tasks("mail", "w", 4)
    renewed = store.extend_leases("w", [t.task_id for t in tasks])
    results = store.terminate_many(
        [(r.task_id, r.task.record_ver) for r in renewed[:3]] + [(renewed[3].task_id, 1)], "w")
    assert [r.outcome for r in results] == ["ok", "ok", "ok", "changed"]
    (rates,) = store.rates("mail")
    totals = {kind: sum(getattr(b, kind) for b in rates.buckets) for kind in ("created", "terminated", "failed",
                                                                              "snoozed")}
    assert totals == {"created": 4, "terminated": 3, "failed": 0, "snoozed": 0}
    at = results[0].task.updated_at
    bucket = next(b for b in rates.buckets if b.start_ms == at - at % rates.width_ms)
    assert bucket.terminated >= 1
