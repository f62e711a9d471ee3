"""``sokka rerun ID``: a failed or terminated task runs again as a new task, the
original untouched; refused (exit 1, nothing written) for any other status."""

from __future__ import annotations

import json

from tests.cli.conftest import Terminal


def _failed(store, topic: str = "mail"):
    task = store.create_task({"topic": topic, "data": {"n": 1}, "task_description": "welcome mail"})
    store.reserve_task(topic, "w")
    return store.fail(task.task_id, "w", "SMTP 550")


def test_rerun_creates_a_new_task(sokka, store):
    original = _failed(store)
    result = sokka("rerun", original.task_id, "--yes", "--json")
    assert result.code == 0, result.err
    new = json.loads(result.out)
    assert new["status"] == "starting" and new["task_id"] != original.task_id
    assert new["task_description"] == f"re-run of {original.task_id}: welcome mail"
    assert store.task(original.task_id) == original
    text = sokka("rerun", original.task_id, "--yes")
    assert text.code == 0 and text.out.startswith("Re-ran task ") and "stays failed v3" in text.out


def test_rerun_refusals(sokka, store):
    original = _failed(store)
    store.create_task({"task_id": "fresh", "topic": "mail"})
    starting = sokka("rerun", "fresh", "--yes")
    assert starting.code == 1 and "only a failed or terminated task" in starting.err.lower()
    missing = sokka("rerun", "nope", "--yes")
    assert missing.code == 1 and "not found" in missing.err
    stale = sokka("rerun", original.task_id, "--if-version", "2", "--yes")
    assert stale.code == 1 and "not 2" in stale.err
    declined = sokka("rerun", original.task_id, stdin=Terminal("n\n"))
    assert declined.code == 1
    read_only = sokka("rerun", original.task_id, "--yes", "--read-only")
    assert read_only.code != 0
    assert [t.task_id for t in store.list_tasks({"topic": "mail"}).data if t.status == "starting"] == ["fresh"]
