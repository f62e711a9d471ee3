"""``sokka purge`` and ``sokka revoke-expired``."""

from __future__ import annotations

import json
import time

from stores import TaskStatus
from tests.cli.conftest import Terminal


def _finished(store, topic: str, n: int, how: str = "terminated") -> list[str]:
    ids = [t.task_id for t in store.create_tasks({"topic": topic, "data": i} for i in range(n))]
    for _ in ids:
        task = store.reserve_task(topic, "w")
        if how == "terminated":
            store.terminate(task.task_id, "w")
        else:
            store.fail(task.task_id, "w", "x")
    return ids


def test_purge_deletes_in_batches_and_reports_the_total(sokka, store):
    _finished(store, "a", 5)
    _finished(store, "b", 2, "failed")
    live = store.create_task({"topic": "a", "data": "live"})
    time.sleep(1.1)
    dry = sokka("purge", "--older-than", "1s", "--dry-run", "--json")
    assert dry.code == 0 and json.loads(dry.out)["would_purge"] == 7
    assert json.loads(dry.out)["by_status"] == {"terminated": 5, "failed": 2}
    assert sum(s.counts[TaskStatus.TERMINATED] for s in store.topics()) == 5  # nothing deleted

    result = sokka("purge", "--older-than", "1s", "--batch-size", "3", "--yes")
    assert result.code == 0, result.err
    assert result.out.startswith("Purged 7 terminated and failed tasks")
    assert result.err.splitlines() == ["… purged 3", "… purged 6"]  # a line a full batch
    assert [s.topic for s in store.topics()] == ["a"] and store.task(live.task_id) is not None
    again = sokka("purge", "--older-than", "1s", "--yes", "--json")
    assert json.loads(again.out)["purged"] == 0


def test_purge_by_status_and_topic(sokka, store):
    _finished(store, "a", 2)
    _finished(store, "a", 2, "failed")
    _finished(store, "b", 2, "failed")
    time.sleep(1.1)
    result = sokka("purge", "--older-than", "1s", "--status", "failed", "--topic", "a", "--yes", "--json")
    assert json.loads(result.out)["purged"] == 2
    counts = {s.topic: {str(k): v for k, v in s.counts.items() if v} for s in store.topics()}
    assert counts == {"a": {"terminated": 2}, "b": {"failed": 2}}


def test_purge_refuses_live_statuses_and_asks_first(sokka, store):
    _finished(store, "a", 1)
    bad = sokka("purge", "--older-than", "1s", "--status", "running,failed", "--yes")
    assert bad.code == 2 and "finished statuses only" in bad.err and bad.err.count("\n") == 1
    no_tty = sokka("purge", "--older-than", "1s")
    assert no_tty.code == 2 and "--yes" in no_tty.err
    time.sleep(1.1)
    declined = sokka("purge", "--older-than", "1s", stdin=Terminal("n\n"))
    assert declined.code == 1 and "for good?" in declined.err
    assert len(store.topics()) == 1
    accepted = sokka("purge", "--older-than", "1s", stdin=Terminal("y\n"))
    assert accepted.code == 0 and store.topics() == []


def test_revoke_expired(sokka, make_store, store):
    short = make_store(lease_time_ms=200)
    short.create_tasks({"topic": "mail", "data": i} for i in range(4))
    stuck = [short.reserve_task("mail", f"dead-{i}") for i in range(3)]
    live = store.reserve_task("mail", "alive")
    store.create_task({"topic": "other", "data": 0})
    other = short.reserve_task("other", "dead-x")
    time.sleep(0.4)

    listed = sokka("revoke-expired", "mail", "--dry-run", "--jsonl")
    assert sorted(json.loads(line)["task_id"] for line in listed.lines) == sorted(t.task_id for t in stuck)
    assert all(store.task(t.task_id).status == TaskStatus.RUNNING for t in stuck)

    # One of them finishes while the prompt is open: it is skipped, not revoked.
    def finish_one():
        store.terminate(stuck[0].task_id, "dead-0")

    result = sokka("revoke-expired", "mail", "--json", stdin=Terminal("y\n", before_answer=finish_one))
    assert result.code == 0, result.err
    assert "Revoke 3 expired leases of topic 'mail'" in result.err
    assert json.loads(result.out) == {"topic": "mail", "found": 3, "done": 2, "skipped": 1, "refused": 0,
                                      "gone": 0}
    assert [store.task(t.task_id).status for t in stuck] == [
        TaskStatus.TERMINATED, TaskStatus.STARTING, TaskStatus.STARTING]
    assert store.task(live.task_id).status == TaskStatus.RUNNING
    assert store.task(other.task_id).status == TaskStatus.RUNNING  # another topic
    assert [e.action for e in store.audit_log(stuck[1].task_id).data] == ["revoke"]

    nothing = sokka("revoke-expired", "mail", "--yes")
    assert nothing.code == 0 and nothing.out.strip() == "No expired lease in topic 'mail'."
    assert sokka("revoke-expired", "other").code == 2  # no terminal, no --yes
