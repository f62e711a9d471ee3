"""``sokka topics | tasks | task | group | leased``: tables for people, JSON for
scripts, page by page, with store text made harmless for the terminal."""

from __future__ import annotations

import json
import time

import pytest

from sokka_tui.ops import connect, reads

HOSTILE = "\x1b]0;pwned\x07\x1b[2J[@click=app.quit]x[/]\x9b31m\u202e"


def _running(store, topic: str, pid: str = "w-1"):
    store.create_task({"topic": topic, "data": {}})
    return store.reserve_task(topic, pid)


def _no_terminal_controls(text: str) -> None:
    for char in ("\x1b", "\x07", "\x9b", "\u202e"):
        assert char not in text, repr(text)


def test_topics_in_every_format(sokka, store):
    store.create_tasks([{"topic": "mail", "data": 1}, {"topic": "mail", "data": 2}, {"topic": "sms", "data": 3}])
    _running(store, "sms")
    table = sokka("topics")
    assert table.code == 0 and table.err == ""
    assert table.lines[0].split()[:3] == ["TOPIC", "STARTING", "RUNNING"]
    assert [line.split()[:3] for line in table.lines[1:]] == [["mail", "2", "0"], ["sms", "1", "1"]]
    document = json.loads(sokka("topics", "--json").out)
    assert [(t["topic"], t["counts"]["starting"], t["counts"]["running"]) for t in document] == [
        ("mail", 2, 0), ("sms", 1, 1)]
    assert document[0]["oldest_starting_at_iso"].endswith("Z")
    lines = sokka("topics", "--jsonl").lines
    assert [json.loads(line)["topic"] for line in lines] == ["mail", "sms"]


def test_tasks_filters_and_limit(sokka, store):
    store.create_tasks([{"topic": "mail", "sub_topic": "eu" if i % 2 else "us", "data": i} for i in range(6)])
    running = _running(store, "mail")
    store.create_task({"topic": "other", "data": 0})

    everything = [json.loads(line) for line in sokka("tasks", "mail", "--jsonl").lines]
    assert len(everything) == 7 and {t["topic"] for t in everything} == {"mail"}
    assert [t["updated_at"] for t in everything] == sorted((t["updated_at"] for t in everything), reverse=True)

    only_running = json.loads(sokka("tasks", "mail", "--status", "running", "--json").out)
    assert [t["task_id"] for t in only_running] == [running.task_id]
    assert len(json.loads(sokka("tasks", "mail", "--sub-topic", "eu", "--json").out)) == 3
    assert len(sokka("tasks", "mail", "--limit", "4", "--jsonl").lines) == 4
    assert len(sokka("tasks", "mail", "--since", "1h", "--jsonl").lines) == 7
    assert sokka("tasks", "mail", "--until", "1h", "--jsonl").out == ""
    assert len(sokka("tasks", "mail", "--since", "2000-01-01T00:00:00Z", "--until", "2999-01-01 00:00",
                     "--jsonl").lines) == 7
    empty = sokka("tasks", "mail", "--status", "failed", "--json")
    assert empty.code == 0 and json.loads(empty.out) == []
    assert sokka("tasks", "nothing-here", "--json").code == 1  # no such topic
    table = sokka("tasks", "mail", "--status", "running")
    assert table.lines[0].startswith("ID") and running.task_id in table.lines[1] and "w-1" in table.lines[1]


def test_task_json_has_every_field(sokka, store):
    task = _running(store, "mail")
    document = json.loads(sokka("task", task.task_id, "--json").out)
    assert list(document)[:15] == [
        "task_id", "task_group_id", "task_description", "topic", "sub_topic", "status", "pid", "record_ver",
        "data", "error", "snooze_time", "timeout_ms", "lease_expires_at", "created_at", "updated_at"]
    assert document["status"] == "running" and document["record_ver"] == task.record_ver
    assert document["lease_expires_at"] == task.lease_expires_at
    assert document["lease_expires_at_iso"].endswith("Z") and document["created_at_iso"].startswith("20")
    people = sokka("task", task.task_id)
    assert people.code == 0 and "expires in" in people.out and "w-1" in people.out
    assert sokka("task", task.task_id, "--jsonl").out.count("\n") == 1


def test_group_and_not_found(sokka, store):
    store.create_tasks([{"topic": "a", "task_group_id": "g1", "data": i} for i in range(3)])
    group = [json.loads(line) for line in sokka("group", "g1", "--jsonl").lines]
    assert len(group) == 3 and {t["task_group_id"] for t in group} == {"g1"}
    missing = sokka("task", "no-such-id")
    assert missing.code == 1 and missing.out == ""
    assert missing.err.strip() == "sokka: refused: task 'no-such-id' not found"
    assert sokka("group", "no-such-group").code == 1


def test_leased_soonest_first_with_marks(sokka, make_store, store):
    short = make_store(lease_time_ms=200)
    stuck = _running(short, "mail", "dead-worker")
    live = _running(store, "mail", "w-2")
    snoozing = _running(store, "sms", "w-3")
    store.snooze(snoozing.task_id, "w-3", 3_600_000)
    time.sleep(0.4)
    table = sokka("leased")
    assert table.code == 0
    rows = table.lines[1:]
    assert [row.split()[0] for row in rows] == [stuck.task_id, live.task_id, snoozing.task_id]
    assert "STUCK" in rows[0] and "expires in" in rows[1] and "wakes in" in rows[2]
    only_mail = [json.loads(line)["task_id"] for line in sokka("leased", "mail", "--jsonl").lines]
    assert only_mail == [stuck.task_id, live.task_id]


def test_store_text_never_reaches_the_terminal_raw(sokka, store):
    task = store.create_task({"task_id": "id" + HOSTILE, "topic": "t" + HOSTILE, "sub_topic": HOSTILE,
                              "task_description": HOSTILE, "task_group_id": "g" + HOSTILE,
                              "data": {HOSTILE: HOSTILE}})
    store.reserve_task(task.topic, "pid" + HOSTILE)
    for args in (["topics"], ["tasks", task.topic], ["task", task.task_id], ["group", task.task_group_id],
                 ["leased"], ["watch", "--once"]):
        for fmt in ([], ["--json"], ["--jsonl"]):
            if args[0] == "watch" and fmt:
                continue
            result = sokka(*args, *fmt)
            assert result.code == 0, (args, result.err)
            _no_terminal_controls(result.out)
            _no_terminal_controls(result.err)
    document = json.loads(sokka("task", task.task_id, "--json").out)
    assert document["task_description"] == HOSTILE and document["data"] == {HOSTILE: HOSTILE}
    assert "␛]0;pwned␇" in sokka("task", task.task_id).out


def test_a_long_listing_streams_page_by_page(sokka, store, monkeypatch):
    """2,500 tasks: 2,500 JSON lines, fetched in pages of ``reads.PAGE`` and each
    page written before the next one is asked for."""
    store.create_tasks({"topic": "bulk", "data": {"i": i}} for i in range(2_500))
    calls = []
    opened = connect.open_store

    def spying_open(*args, **kwargs):
        real = opened(*args, **kwargs)
        list_tasks = real.list_tasks

        def spy(filters, cursor):
            import sys

            calls.append((cursor["limit"], sys.stdout.getvalue().count("\n")))  # capsys' stdout
            page = list_tasks(filters, cursor)
            assert len(page.data) <= reads.PAGE
            return page

        real.list_tasks = spy
        return real

    monkeypatch.setattr(connect, "open_store", spying_open)
    result = sokka("tasks", "bulk", "--jsonl")
    assert result.code == 0
    assert len(result.lines) == 2_500
    assert len({json.loads(line)["task_id"] for line in result.lines}) == 2_500
    assert [limit for limit, _ in calls] == [reads.PAGE] * 5
    assert [lines for _, lines in calls] == [0, 500, 1000, 1500, 2000]  # written before the next page
    listed = json.loads(sokka("tasks", "bulk", "--json").out)
    assert len(listed) == 2_500


@pytest.mark.parametrize(
    "args",
    [
        ["tasks", "t", "--status", "nope"],
        ["tasks", "t", "--since", "yesterday-ish"],
        ["tasks", "t", "--limit", "0"],
        ["tasks", "t", "--json", "--jsonl"],
        ["no-such-command"],
        ["watch", "--interval", "0.1"],
    ],
    ids=" ".join,
)
def test_usage_errors_are_one_line_exit_2(sokka, capsys, args):
    with pytest.raises(SystemExit) as exit_info:
        sokka(*args)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith("sokka") and "error:" in err[0], err


def test_audit_lists_the_trail_newest_first(sokka, store):
    task = _running(store, "mail")
    assert sokka("revoke", task.task_id, "--yes").code == 0
    assert sokka("create", "sms", "--data", "{}", "--id", HOSTILE, "--yes").code == 0
    table = sokka("audit")
    assert table.code == 0 and table.err == ""
    assert table.lines[0].split()[:4] == ["WHEN", "(UTC)", "OPERATOR", "TOOL"]
    rows = [line.split() for line in table.lines[1:]]
    assert [row[3:5] for row in rows] == [["sokka", "create"], ["sokka", "revoke"]]  # newest first
    _no_terminal_controls(table.out)
    records = [json.loads(line) for line in sokka("audit", "--jsonl").lines]
    assert [(r["action"], r["task_id"]) for r in records] == [("create", HOSTILE), ("revoke", task.task_id)]
    revoke = records[1]
    assert (revoke["status_before"], revoke["status_after"]) == ("running", "starting")
    assert (revoke["record_ver_before"], revoke["record_ver_after"], revoke["tool"]) == (2, 3, "sokka")
    assert revoke["at_iso"].endswith("Z")
    only = json.loads(sokka("audit", "--task", task.task_id, "--json").out)
    assert [r["action"] for r in only] == ["revoke"]
    assert len(json.loads(sokka("audit", "--limit", "1", "--json").out)) == 1


def test_tasks_of_a_topic_that_does_not_exist_is_refused(sokka, store):
    store.create_task({"topic": "mail", "data": 0})
    for fmt in ([], ["--json"], ["--jsonl"]):
        missing = sokka("tasks", "nosuchtopic", *fmt)
        assert (missing.code, missing.out) == (1, "")
        assert missing.err == "sokka: refused: no such topic 'nosuchtopic'\n"
        assert sokka("leased", "nosuchtopic", *fmt).code == 1
    # An existing topic with nothing matching is an empty list, not an error.
    empty = sokka("tasks", "mail", "--status", "failed")
    assert (empty.code, empty.err) == (0, "") and empty.lines[0].startswith("ID")
    assert len(empty.lines) == 1
    assert json.loads(sokka("tasks", "mail", "--status", "failed", "--json").out) == []
    assert sokka("leased", "mail").code == 0
    assert sokka("leased").code == 0  # every topic: an empty store lists nothing


def test_tasks_of_one_topic_does_not_repeat_the_topic_column(sokka, store):
    long_topic = "notifications.email.transactional"
    store.create_task({"topic": long_topic, "data": 0})
    table = sokka("tasks", long_topic)
    assert table.code == 0
    assert "TOPIC" not in table.lines[0].split() and "SUB-TOPIC" in table.lines[0]
    assert "notifications.…" not in table.out and long_topic not in table.lines[1]
    leased = store.reserve_task(long_topic, "w-1")
    for args in (["leased", long_topic], ["revoke-expired", long_topic, "--dry-run"]):
        header = sokka(*args).lines[0].split()
        assert "TOPIC" not in header and "OWNER" in header, args
    assert "TOPIC" in sokka("leased").lines[0].split()  # every topic: the column stays
    assert json.loads(sokka("leased", long_topic, "--json").out)[0]["task_id"] == leased.task_id
    # A group spans topics: its listing keeps the column.
    group = store.tasks(store.list_tasks({"topic": long_topic}, {"limit": 1}).data[0].task_group_id)
    assert "TOPIC" in sokka("group", group[0].task_group_id).lines[0].split()
    # JSON is unchanged: every field, the topic too.
    assert json.loads(sokka("tasks", long_topic, "--json").out)[0]["topic"] == long_topic


def test_audit_shows_a_snooze_as_the_console_does(sokka, store):
    task = _running(store, "mail")
    assert sokka("snooze", task.task_id, "30s", "--yes").code == 0
    table = sokka("audit")
    assert "for 30s" in table.lines[1] and "30000" not in table.out
    assert json.loads(sokka("audit", "--json").out)[0]["detail"] == "30000"


def test_tasks_where_searches_the_payload(sokka, store):
    store.create_tasks([
        {"task_id": f"t{i}", "topic": "orders", "data": {"customer_id": i % 3, "user": {"email": f"u{i}@example.com"}}}
        for i in range(9)
    ])
    store.create_task({"task_id": "s", "topic": "orders", "data": {"customer_id": "1"}})
    lines = sokka("tasks", "orders", "--where", "data.customer_id=1", "--jsonl").lines
    assert sorted(json.loads(line)["task_id"] for line in lines) == ["s", "t1", "t4", "t7"]
    both = json.loads(sokka("tasks", "orders", "--where", "data.customer_id=1", "--where",
                            "data.user.email~u4@", "--json").out)
    assert [t["task_id"] for t in both] == ["t4"]
    running = store.reserve_task("orders", "w")
    mine = json.loads(sokka("tasks", "orders", "--status", "running", "--where",
                            f"data.customer_id={running.data['customer_id']}", "--json").out)
    assert [t["task_id"] for t in mine] == [running.task_id]
    table = sokka("tasks", "orders", "--where", "data.user.email~u8@")
    assert table.code == 0 and len(table.lines) == 2 and "t8" in table.lines[1]
    assert json.loads(sokka("tasks", "orders", "--where", "data.nope=1", "--json").out) == []
    assert sokka("tasks", "nothing-here", "--where", "data.a=1", "--json").code == 1  # no such topic
    assert len(sokka("tasks", "orders", "--where", "data.customer_id~", "--limit", "2", "--jsonl").lines) == 2


@pytest.mark.parametrize("bad", ["customer_id=42", "data.a[0]=1", "data.a", "data.=1", "data.a b=1"])
def test_tasks_where_refuses_a_bad_expression_in_one_line(sokka, capsys, bad):
    with pytest.raises(SystemExit) as exit_info:
        sokka("tasks", "orders", "--where", bad)
    assert exit_info.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == "" and len(captured.err.splitlines()) == 1
    assert "--where" in captured.err and "data.customer_id=42" in captured.err
