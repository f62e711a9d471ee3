"""The transition table, as every backend applies it.

The table is written four times: ``stores/rules.py`` (with ``ALLOWED_TRANSITIONS``),
the SQLite and PostgreSQL statements, and the Redis scripts. Here ``stores.rules``
is the oracle: for a task in each status and each write, its checks say whether
the write is allowed (and its ``written``/``revoked``/... say what the task then
is) or which error refuses it. Each backend must agree exactly, with and without
an operator (on SQLite an operator's writes take another code path: a read, the
rules in Python and an audit record in one transaction), one task at a time and
through ``apply_bulk``. A refused write changes nothing: the task stays as it was.

Only leases that have not ended are tried here; a lease or a snooze that has
ended is ``test_leases.py``'s."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from stores import ALLOWED_TRANSITIONS, TASK_STATUSES, Store, Task, TaskStatus, TaskStoreError, rules
from stores.audit import Operator
from stores.bulk import BulkAction, BulkItem, BulkOutcome, outcome_of

OWNER = "owner-1"
LEASE_MS = 60_000
SNOOZE_MS = 45_000
ERROR = "why"
WRITES = ("terminate", "fail", "snooze", "revoke_lease", "extend_lease", "reserve_task", "rerun_task")


@pytest.fixture(params=[False, True], ids=["no-operator", "operator"])
def table_store(request: pytest.FixtureRequest, make_store: Callable[..., Store]) -> Store:
    operator = Operator.current("test") if request.param else None
    return make_store(lease_time_ms=LEASE_MS, operator=operator)


def task_in(store: Store, status: TaskStatus, topic: str) -> Task:
    """A task of its own topic brought to ``status`` by the protocol's own writes."""
    task = store.create_task({"topic": topic, "data": {"want": str(status)}})
    if status == TaskStatus.STARTING:
        return task
    reserved = store.reserve_task(topic, OWNER)
    assert reserved is not None and reserved.task_id == task.task_id
    if status == TaskStatus.RUNNING:
        return reserved
    if status == TaskStatus.SNOOZED:
        return store.snooze(task.task_id, OWNER, 3_600_000)
    if status == TaskStatus.FAILED:
        return store.fail(task.task_id, OWNER, "boom")
    return store.terminate(task.task_id, OWNER)


def expected(before: Task, write: str, at: int) -> Task | type[TaskStoreError] | None:
    """What ``stores.rules`` says ``write`` on ``before`` makes at ``at`` (the store's
    clock when it wrote): the task after it, the class of the error that refuses
    it, or ``None`` (a reservation that finds nothing)."""
    if write == "reserve_task":
        # Reservable (its lease not ended): a status the table lets move to running.
        if TaskStatus.RUNNING in ALLOWED_TRANSITIONS[before.status]:
            return rules.reserved(before, "other", at, LEASE_MS)
        return None
    try:
        if write == "extend_lease":
            checked = rules.check_extend(before, before.task_id, OWNER, None, at)
            return rules.extended(checked, at, LEASE_MS)
        if write == "revoke_lease":
            return rules.revoked(rules.check_revoke(before, before.task_id, before.record_ver), at)
        if write in ("rerun_task", "rerun"):  # not a transition: the original stays as it is
            return rules.check_rerun(before, before.task_id, before.record_ver)
        owner_write = rules.Write(write)
        checked = rules.check_write(before, before.task_id, owner_write, before.pid, None)
        return rules.written(checked, owner_write, at, error=ERROR, snooze_ms=SNOOZE_MS)
    except TaskStoreError as refusal:
        return type(refusal)


def call(store: Store, before: Task, write: str) -> Any:
    if write == "terminate":
        return store.terminate(before.task_id, before.pid)
    if write == "fail":
        return store.fail(before.task_id, before.pid, ERROR)
    if write == "snooze":
        return store.snooze(before.task_id, before.pid, SNOOZE_MS)
    if write == "revoke_lease":
        return store.revoke_lease(before.task_id, before.record_ver)
    if write == "extend_lease":
        return store.extend_lease(before.task_id, OWNER)
    if write == "rerun_task":
        return store.rerun_task(before.task_id, before.record_ver)
    return store.reserve_task(before.topic, "other")


def test_the_table_is_what_the_rules_check():
    """The oracle itself: its checks allow exactly the table's moves."""
    for status in TASK_STATUSES:
        for write, target in (*((w, rules.TARGET_STATUS[w]) for w in rules.Write), ("revoke_lease", "starting")):
            task = Task("t", "t", None, "q", "default", status, None, 3, None, None, None, None, None, 1, 1)
            outcome = expected(task, str(write), 10)
            assert isinstance(outcome, Task) == (target in ALLOWED_TRANSITIONS[status]), (status, write)


@pytest.mark.parametrize("write", WRITES)
@pytest.mark.parametrize("status", TASK_STATUSES, ids=str)
def test_each_write_from_each_status(table_store: Store, status: TaskStatus, write: str) -> None:
    store = table_store
    before = task_in(store, status, f"tt-{status}")
    trail = _trail(store, before)
    probe = expected(before, write, store.now_ms())
    if isinstance(probe, type):
        with pytest.raises(probe) as caught:
            call(store, before, write)
        assert caught.value.task_id == before.task_id
        assert store.task(before.task_id) == before  # nothing written: record_ver unchanged
        assert _trail(store, before) == trail  # nor recorded
        return
    result = call(store, before, write)
    after = store.task(before.task_id)
    assert after is not None
    if probe is None:  # a reservation that must not take this task
        assert result is None and after == before
        return
    assert after == expected(before, write, after.updated_at)  # every field as the rules make it
    if write == "rerun_task":  # the original as it was, and a new task made from it
        _check_rerun(store, before, result, trail)
        return
    assert result == ("ok" if write == "extend_lease" else after)
    assert after.updated_at >= before.updated_at
    if store.operator is not None:
        action = write.removesuffix("_lease").removesuffix("_task")
        entry = _trail(store, before)[0]
        assert (entry.action, entry.status_before, entry.status_after) == (action, before.status, after.status)
        assert (entry.record_ver_before, entry.record_ver_after) == (before.record_ver, after.record_ver)
        assert len(_trail(store, before)) == len(trail) + 1
    else:
        assert _trail(store, before) == []


@pytest.mark.parametrize("action", list(BulkAction), ids=str)
def test_each_bulk_action_on_every_status(table_store: Store, action: BulkAction) -> None:
    store = table_store
    tasks = [task_in(store, status, f"bulk-{status}") for status in TASK_STATUSES]
    items = [BulkItem(t.task_id, t.record_ver, t.pid, t.status) for t in tasks]
    results = store.apply_bulk(action, items, error=ERROR, snooze_ms=SNOOZE_MS)
    assert [r.task_id for r in results] == [t.task_id for t in tasks]
    write = "revoke_lease" if action is BulkAction.REVOKE else str(action)
    for before, result in zip(tasks, results, strict=True):
        after = store.task(before.task_id)
        assert after is not None
        probe = expected(before, write, after.updated_at)
        if isinstance(probe, Task) and action is BulkAction.RERUN:
            assert result.outcome == BulkOutcome.DONE and after == probe == before
            assert result.task is not None and store.task(result.task.task_id) == result.task
        elif isinstance(probe, Task):
            assert (result.outcome, result.task) == (BulkOutcome.DONE, after), before.status
            assert after == probe
        else:
            assert probe is not None
            assert result.outcome == outcome_of(probe("")) == BulkOutcome.REFUSED, before.status
            assert result.task is None and after == before


def _check_rerun(store: Store, before: Task, new: Task, trail: list[Any]) -> None:
    assert store.task(new.task_id) == new and new.status == TaskStatus.STARTING
    assert (new.topic, new.sub_topic, new.data, new.task_group_id) == (
        before.topic, before.sub_topic, before.data, before.task_group_id)
    if store.operator is not None:
        entry = _trail(store, before)[0]
        assert (entry.action, entry.status_before, entry.status_after, entry.detail) == (
            "rerun", before.status, before.status, new.task_id)
        assert len(_trail(store, before)) == len(trail) + 1
    else:
        assert _trail(store, before) == []


def _trail(store: Store, task: Task) -> list[Any]:
    """The task's audit records, newest first ([] without an operator)."""
    return store.audit_log(task.task_id, {"limit": 100}).data
