"""The operator's marks: frozen as seen (id, version, owner, status, topic),
in the order marked; and which of them the transition table will refuse."""

from __future__ import annotations

from sokka_tui.actions import Action, changes, refusal
from sokka_tui.marks import Marks
from stores import TaskStatus
from stores.bulk import BulkItem
from tests.unit.values import make_task


def test_toggle_marks_the_task_as_seen_then_unmarks_it():
    marks = Marks()
    seen = make_task("a", status=TaskStatus.RUNNING, pid="w1", record_ver=3)
    assert marks.toggle(seen) is True and "a" in marks and len(marks) == 1
    assert marks.items() == [BulkItem("a", 3, "w1", TaskStatus.RUNNING)]
    assert marks.toggle(seen) is False and "a" not in marks and not marks


def test_marks_keep_their_order_topics_and_statuses():
    marks = Marks()
    marks.add([
        make_task("c", topic="mail"), make_task("a", topic="bills", status=TaskStatus.FAILED),
        make_task("b", topic="mail"),
    ])
    assert [item.task_id for item in marks.items()] == ["c", "a", "b"] and marks.sample(2) == ["c", "a"]
    assert marks.topics() == ["bills", "mail"]
    assert marks.statuses() == {TaskStatus.STARTING: 2, TaskStatus.FAILED: 1}
    marks.add([make_task("c", topic="mail", record_ver=2)])  # marked again: as it is now, in its place
    assert [item.record_ver for item in marks.items()] == [2, 1, 1]
    marks.clear()
    assert len(marks) == 0


def test_refused_by_the_table_as_marked():
    marks = Marks()
    marks.add([
        make_task("s", status=TaskStatus.STARTING), make_task("r", status=TaskStatus.RUNNING, pid="w"),
        make_task("t", status=TaskStatus.TERMINATED),
    ])
    assert marks.refused_by_table(Action.REVOKE) == 2  # only the running one has a lease
    assert marks.refused_by_table(Action.TERMINATE) == 1  # a terminated task stays so


def test_refusal_says_why_an_action_does_not_apply():
    running = make_task(status=TaskStatus.RUNNING, pid="w")
    assert refusal(Action.REVOKE, running) is None and refusal(Action.TERMINATE, running) is None
    assert refusal(Action.REVOKE, make_task()) == "Only a running or snoozed task can be revoked; this one is starting."
    final = refusal(Action.FAIL, make_task(status=TaskStatus.TERMINATED))
    assert final == "The task is terminated: a final status allows no change."


def test_changes_between_the_task_seen_and_now():
    seen = make_task(status=TaskStatus.RUNNING, pid="w", record_ver=2, lease_expires_at=10)
    now = make_task(status=TaskStatus.RUNNING, pid="w", record_ver=3, lease_expires_at=20)
    assert changes(seen, now) == [("record_ver", 2, 3), ("lease_expires_at", 10, 20)]
    assert changes(seen, None) == [("task", "present", "deleted")]
