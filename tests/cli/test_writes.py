"""``sokka create | snooze | fail | terminate | revoke``: MVCC-checked like the
console, confirmed unless ``--yes``, recorded in the audit trail."""

from __future__ import annotations

import json

import pytest

from stores import TaskStatus
from tests.cli.conftest import Terminal
from tests.waiting import wait_for


def _running(store, topic: str = "mail", pid: str = "w-3"):
    store.create_task({"topic": topic, "data": {"n": 1}})
    return store.reserve_task(topic, pid)


def test_create(sokka, store, tmp_path):
    made = sokka("create", "mail", "--data", '{"to": "x@y"}', "--group", "g", "--sub-topic", "eu",
                 "--description", "hello", "--id", "t-1", "--yes", "--json")
    assert made.code == 0, made.err
    document = json.loads(made.out)
    assert document["task_id"] == "t-1" and document["status"] == "starting" and document["record_ver"] == 1
    task = store.task("t-1")
    assert (task.data, task.task_group_id, task.sub_topic, task.task_description) == ({"to": "x@y"}, "g", "eu", "hello")

    payload = tmp_path / "data.json"
    payload.write_text('[1, 2, {"three": 3}]')
    people = sokka("create", "mail", "--data", f"@{payload}", "--yes")
    assert people.code == 0 and people.out.startswith("Created task ")
    assert store.task(people.out.split()[2]).data == [1, 2, {"three": 3}]

    again = sokka("create", "mail", "--data", "1", "--id", "t-1", "--yes")
    assert again.code == 1 and "already exists" in again.err and again.err.count("\n") == 1
    bad = sokka("create", "mail", "--data", "{not json", "--yes")
    assert bad.code == 2 and "not JSON" in bad.err and bad.err.count("\n") == 1
    empty_topic = sokka("create", "", "--data", "1", "--yes")
    assert empty_topic.code == 2 and "topic" in empty_topic.err


@pytest.mark.parametrize(
    ("args", "status", "check"),
    [
        (["snooze", "{id}", "5m"], TaskStatus.SNOOZED, lambda t: t.snooze_time == 300_000),
        (["fail", "{id}", "--error", "disk full"], TaskStatus.FAILED, lambda t: t.error == "disk full"),
        (["terminate", "{id}"], TaskStatus.TERMINATED, lambda t: t.pid is None),
        (["revoke", "{id}"], TaskStatus.STARTING, lambda t: t.pid is None and t.lease_expires_at is None),
    ],
    ids=lambda v: v[0] if isinstance(v, list) else "",
)
def test_each_action_writes_at_the_version_shown(sokka, store, args, status, check):
    task = _running(store)
    result = sokka(*[a.replace("{id}", task.task_id) for a in args], "--yes")
    assert result.code == 0, result.err
    after = store.task(task.task_id)
    assert after.status == status and after.record_ver == task.record_ver + 1 and check(after)
    assert f"v{task.record_ver} → {status} v{after.record_ver}" in result.out
    as_json = sokka("task", task.task_id, "--json")
    assert json.loads(as_json.out)["status"] == str(status)


def test_json_output_of_a_write_is_the_task_after(sokka, store):
    task = _running(store)
    result = sokka("revoke", task.task_id, "--yes", "--json")
    document = json.loads(result.out)
    assert document["status"] == "starting" and document["record_ver"] == task.record_ver + 1


def test_refusals_exit_1_and_write_nothing(sokka, store):
    task = _running(store)
    starting = store.create_task({"topic": "mail", "data": 0})
    cases = {
        ("revoke", starting.task_id): "Only a running or snoozed task can be revoked",
        ("snooze", starting.task_id, "5m"): "this one is starting",
        ("revoke", "no-such-task"): "not found",
        ("revoke", task.task_id, "--if-version", str(task.record_ver + 5)): f"not {task.record_ver + 5}",
    }
    for args, message in cases.items():
        result = sokka(*args, "--yes")
        assert result.code == 1, (args, result.err)
        assert message in result.err and result.err.startswith("sokka: refused:") and result.err.count("\n") == 1
        assert "Traceback" not in result.err and result.out == ""
    assert store.task(task.task_id) == task and store.task(starting.task_id) == starting
    store.terminate(task.task_id, "w-3")
    finished = sokka("fail", task.task_id, "--yes")
    assert finished.code == 1 and "final status" in finished.err


def test_if_version_writes_only_at_that_version(sokka, store):
    task = _running(store)
    ok = sokka("revoke", task.task_id, "--if-version", str(task.record_ver), "--yes")
    assert ok.code == 0 and store.task(task.task_id).status == TaskStatus.STARTING


def test_a_task_changed_while_the_prompt_was_open_is_refused(sokka, store):
    """Read, show, confirm, write with the version shown: a worker's renewal in
    between makes the store refuse, and nothing is written."""
    task = _running(store)
    prompt = Terminal("y\n", before_answer=lambda: store.extend_lease(task.task_id, "w-3"))
    result = sokka("revoke", task.task_id, stdin=prompt)
    assert prompt.asked == 1
    assert result.code == 1, result.err
    assert "changed since it was read" in result.err and "record_ver" in result.err
    _prompt, error_line = result.err.split("[y/N] ")  # a terminal would echo the answer between
    assert error_line.startswith("sokka: refused:") and error_line.count("\n") == 1
    after = store.task(task.task_id)
    assert after.status == TaskStatus.RUNNING and after.record_ver == task.record_ver + 1


def test_confirmation(sokka, store):
    task = _running(store)
    no_tty = sokka("revoke", task.task_id)
    assert no_tty.code == 2 and "--yes" in no_tty.err and no_tty.err.count("\n") == 1
    declined = sokka("revoke", task.task_id, stdin=Terminal("n\n"))
    assert declined.code == 1 and "not confirmed" in declined.err
    assert f"Revoke the lease of task {task.task_id!r} (running, v{task.record_ver}, owner w-3)? [y/N]" in declined.err
    eof = sokka("terminate", task.task_id, stdin=Terminal(""))
    assert eof.code == 1
    assert store.task(task.task_id) == task
    accepted = sokka("revoke", task.task_id, stdin=Terminal("y\n"))
    assert accepted.code == 0 and store.task(task.task_id).status == TaskStatus.STARTING
    created = sokka("create", "mail", "--data", "{}", stdin=Terminal("yes\n"))
    assert created.code == 0 and "Create a task in topic 'mail'" in created.err


def test_read_only_refuses_every_write_before_connecting(sokka, store):
    task = _running(store)
    for args in (["revoke", task.task_id], ["create", "t", "--data", "1"], ["purge", "--older-than", "1d"],
                 ["revoke-expired", "mail"], ["snooze", task.task_id, "1m"]):
        result = sokka(*args, "--yes", "--read-only")
        assert result.code == 2 and "--read-only" in result.err, (args, result.err)
    assert store.task(task.task_id) == task


def test_a_revoke_leaves_an_audit_entry(sokka, store):
    task = _running(store)
    assert sokka("revoke", task.task_id, "--yes").code == 0
    entries = store.audit_log(task.task_id).data
    assert len(entries) == 1
    entry = entries[0]
    assert entry.action == "revoke" and entry.tool == "sokka" and entry.task_id == task.task_id
    assert (entry.status_before, entry.status_after) == (TaskStatus.RUNNING, TaskStatus.STARTING)
    assert (entry.record_ver_before, entry.record_ver_after) == (task.record_ver, task.record_ver + 1)
    assert sokka("create", "mail", "--data", "1", "--id", "audited", "--yes").code == 0
    assert [e.action for e in store.audit_log("audited").data] == ["create"]


@pytest.mark.parametrize("backend", ["redis"])
def test_an_answer_lost_mid_write_says_it_may_have_been_applied(store, capsys):
    """The write reaches the server and runs, but its answer is lost (a proxy
    drops it): exit 2, one line saying the outcome is unknown and how to check."""
    from urllib.parse import urlsplit

    from sokka_tui.ops.main import main
    from tests.blackhole import Blackhole
    from tests.servers import REDIS_URL

    task = _running(store)
    proxy = Blackhole(urlsplit(REDIS_URL).port or 6379, trigger=b"EVALSHA")
    try:
        url = f"redis://127.0.0.1:{proxy.port}/0"
        proxy.arm()
        code = main(["revoke", task.task_id, "--yes", "--url", url, "--namespace", store.namespace, "--timeout", "1"])
    finally:
        proxy.close()
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1, err
    assert "may or may not have been applied" in err and "sokka audit --task" in err
    assert proxy.swallowed.is_set()
    now = store.task(task.task_id)
    assert (now.status, now.record_ver) == (TaskStatus.STARTING, task.record_ver + 1)  # it was applied


@pytest.mark.parametrize("duration", ["-5m", "-30s", "-1h30m"])
def test_a_negative_snooze_says_it_cannot_be_negative(sokka, store, duration, capsys):
    store.create_task({"topic": "mail", "data": 0})
    task = store.reserve_task("mail", "w-1")
    with pytest.raises(SystemExit) as exit_info:
        sokka("snooze", task.task_id, duration, "--yes")
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot be negative" in err and "required" not in err, err
    assert store.task(task.task_id).record_ver == task.record_ver


def test_messages_count_in_the_right_number(sokka, store, make_store):
    stale = make_store(lease_time_ms=1)
    store.create_task({"topic": "mail", "data": 0})
    stale.reserve_task("mail", "w-1")
    assert wait_for(lambda: store.topics()[0].expired_leases == 1, timeout=5)
    done = sokka("revoke-expired", "mail", "--yes")
    assert done.code == 0 and "1 expired lease " in done.out and "lease(s)" not in done.out, done.out
    store.create_task({"topic": "mail", "data": 1})
    finished = store.reserve_task("mail", "w-1")
    store.terminate(finished.task_id, "w-1")
    assert wait_for(lambda: store.now_ms() - store.task(finished.task_id).updated_at > 1_000, timeout=5)
    dry = sokka("purge", "--older-than", "1s", "--dry-run")
    assert dry.out.startswith("Would purge 1 terminated and failed task last updated"), dry.out
    purged = sokka("purge", "--older-than", "1s", "--yes")
    assert purged.out.startswith("Purged 1 terminated and failed task last updated"), purged.out
