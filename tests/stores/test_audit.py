"""The audit trail: a store opened with an operator records every write it makes,
in the write's own transaction or script; nothing else is recorded."""

from __future__ import annotations

import pytest

from stores import InvalidArgument, TaskConcurrentlyUpdated, TaskStatus, scroll
from stores.audit import Operator, audit_key
from stores.bulk import BulkItem, BulkOutcome

ALICE = Operator("alice", "ops-box", "sokka-tui")
LEASE_MS = 60_000


@pytest.fixture
def pair(make_store):
    """An operator's store and a worker's store on the same namespace."""
    operator = make_store(operator=ALICE, lease_time_ms=LEASE_MS)
    worker = make_store(namespace=operator.namespace, lease_time_ms=LEASE_MS)
    return operator, worker


def trail(store, task_id=None):
    return list(scroll(lambda cursor: store.audit_log(task_id, cursor), {"limit": 7}))


def test_operator_writes_are_recorded_with_before_and_after(pair):
    operator, worker = pair
    for name in "abcd":
        operator.create_task({"task_id": name, "topic": "mail"})
    a, b, c = (worker.reserve_task("mail", f"w-{n}") for n in range(3))
    revoked = operator.revoke_lease(a.task_id, a.record_ver)
    failed = operator.fail(b.task_id, b.pid, "boom [red]x[/]", record_ver=b.record_ver)
    snoozed = operator.snooze(c.task_id, c.pid, 90_000, record_ver=c.record_ver)

    entries = trail(operator)
    assert [(e.action, e.task_id) for e in entries] == [
        ("snooze", "c"), ("fail", "b"), ("revoke", "a"),
        ("create", "d"), ("create", "c"), ("create", "b"), ("create", "a"),
    ]  # newest first; the worker's reservations are not in it
    snooze, fail, revoke = entries[:3]
    assert (revoke.status_before, revoke.status_after) == (TaskStatus.RUNNING, TaskStatus.STARTING)
    assert (revoke.record_ver_before, revoke.record_ver_after) == (a.record_ver, revoked.record_ver)
    assert revoke.at == revoked.updated_at
    assert (fail.detail, fail.status_after, fail.at) == ("boom [red]x[/]", TaskStatus.FAILED, failed.updated_at)
    assert (snooze.detail, snooze.status_after, snooze.record_ver_after) == ("90000", TaskStatus.SNOOZED,
                                                                            snoozed.record_ver)
    create = entries[-1]
    assert (create.status_before, create.record_ver_before) == (None, None)
    assert (create.status_after, create.record_ver_after) == (TaskStatus.STARTING, 1)
    for entry in entries:
        assert (entry.user, entry.host, entry.tool, entry.operator) == ("alice", "ops-box", "sokka-tui",
                                                                        "alice@ops-box")
        assert entry.topic == "mail" and entry.batch_id is None


def test_reserve_and_extend_through_an_operator_store_are_recorded(pair):
    operator, _worker = pair
    operator.create_task({"task_id": "t1", "topic": "mail"})
    task = operator.reserve_task("mail", "alice-shell")
    operator.extend_lease(task.task_id, "alice-shell", record_ver=task.record_ver)
    extend, reserve, _create = trail(operator)
    assert (reserve.action, reserve.detail, reserve.status_before) == ("reserve", "alice-shell", TaskStatus.STARTING)
    assert (extend.action, extend.status_before, extend.status_after) == ("extend", TaskStatus.RUNNING,
                                                                         TaskStatus.RUNNING)
    assert (extend.record_ver_before, extend.record_ver_after) == (2, 3)


def test_refused_writes_and_stores_without_operator_record_nothing(pair):
    operator, worker = pair
    created = worker.create_task({"task_id": "t1", "topic": "mail"})
    task = worker.reserve_task("mail", "w")
    with pytest.raises(TaskConcurrentlyUpdated):
        operator.revoke_lease(task.task_id, created.record_ver)
    worker.terminate(task.task_id, "w", record_ver=task.record_ver)
    assert trail(operator) == []
    assert operator.task("t1").status is TaskStatus.TERMINATED


def test_bulk_records_each_done_item_under_one_batch(pair):
    operator, worker = pair
    for n in range(4):
        worker.create_task({"task_id": f"t{n}", "topic": "mail"})
    held = [worker.reserve_task("mail", f"w{n}") for n in range(4)]
    worker.extend_lease(held[3].task_id, held[3].pid)  # t3 moves on from the version marked
    items = [BulkItem(t.task_id, t.record_ver, t.pid) for t in held]
    results = operator.apply_bulk("revoke", items, batch_id="run-42")
    assert [r.outcome for r in results] == [BulkOutcome.DONE] * 3 + [BulkOutcome.SKIPPED]
    entries = trail(operator)
    assert sorted(e.task_id for e in entries) == ["t0", "t1", "t2"]
    assert {(e.action, e.batch_id) for e in entries} == {("revoke", "run-42")}

    operator.apply_bulk("terminate", [BulkItem(held[3].task_id, held[3].record_ver + 1, held[3].pid)])
    (latest, *_rest) = trail(operator)
    assert latest.task_id == "t3" and latest.action == "terminate"
    assert latest.batch_id and latest.batch_id != "run-42"  # a batch id is made when none is given


def test_trail_pages_newest_first_and_filters_by_task(pair):
    operator, _worker = pair
    for n in range(9):
        operator.create_task({"task_id": f"m{n}", "topic": "mail"})
        operator.create_task({"task_id": f"s{n}", "topic": "sms"})
    held = operator.reserve_task("sms", "alice")
    operator.revoke_lease(held.task_id, held.record_ver)
    entries = trail(operator)
    assert len(entries) == 20
    keys = [audit_key(e) for e in entries]
    assert keys == sorted(keys, reverse=True) and len(set(keys)) == 20
    assert len({e.audit_id for e in entries}) == 20
    only = trail(operator, held.task_id)
    assert [e.action for e in only] == ["revoke", "reserve", "create"]
    assert {e.topic for e in only} == {"sms"}
    assert trail(operator, "no-such-task") == []


def test_a_read_only_store_reads_the_trail(pair, make_store):
    operator, _worker = pair
    operator.create_task({"task_id": "t1", "topic": "mail"})
    reader = make_store(namespace=operator.namespace, read_only=True)
    assert [e.task_id for e in reader.audit_log().data] == ["t1"]


def test_bad_arguments_are_refused(pair):
    operator, _worker = pair
    with pytest.raises(InvalidArgument):
        operator.audit_log(cursor={"limit": 5, "after": [1, "not a cursor of ours"]})
    with pytest.raises(InvalidArgument):
        operator.audit_log(task_id="")
    with pytest.raises(InvalidArgument):
        operator.apply_bulk("revoke", [], batch_id="")


@pytest.mark.parametrize("backend", ["postgres"])
def test_postgres_records_in_the_writes_own_transaction(make_store):
    """The record is written by a trigger in the write's transaction: a write
    whose record cannot be written does not happen."""
    import psycopg
    from psycopg import sql

    from tests.servers import PG_URL

    store = make_store(operator=ALICE)
    store.create_task({"task_id": "t1", "topic": "mail"})
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute("SELECT set_config('sokka.audit', 'not json', false)")
        with pytest.raises(psycopg.errors.InvalidTextRepresentation):
            conn.execute(
                sql.SQL("UPDATE {}.tasks SET status = 'failed', record_ver = 2 WHERE task_id = 't1'")
                .format(sql.Identifier(store.namespace))
            )
    task = store.task("t1")
    assert (task.status, task.record_ver) == (TaskStatus.STARTING, 1)
    assert [e.action for e in trail(store)] == ["create"]
