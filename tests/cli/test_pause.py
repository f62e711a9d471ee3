"""``sokka pause TOPIC [--for D] [--reason TEXT]``, ``sokka resume TOPIC`` and the
pauses in ``sokka topics`` / ``sokka audit``."""

from __future__ import annotations

import json

import pytest

from tests.cli.conftest import Terminal


def test_pause_and_resume(sokka, store):
    store.create_tasks([{"task_id": f"m{i}", "topic": "mail"} for i in range(2)])
    paused = sokka("pause", "mail", "--reason", "vendor down", "--yes")
    assert paused.code == 0, paused.err
    assert paused.out == "Paused topic 'mail' until resumed.\n"
    assert store.reserve_task("mail", "w") is None
    (pause,) = store.paused_topics()
    assert (pause.topic, pause.until_ms, pause.reason) == ("mail", None, "vendor down")
    assert pause.paused_by  # the operator: user@host

    resumed = sokka("resume", "mail", "--yes")
    assert resumed.code == 0, resumed.err
    assert resumed.out == "Resumed topic 'mail': its tasks may be reserved again.\n"
    assert store.paused_topics() == []
    assert store.reserve_task("mail", "w").task_id == "m0"

    again = sokka("resume", "mail", "--yes")
    assert (again.code, again.err) == (1, "sokka: refused: topic 'mail' is not paused; nothing was written\n")


def test_a_timed_pause_in_json(sokka, store):
    result = sokka("pause", "mail", "--for", "10m", "--yes", "--json")
    assert result.code == 0, result.err
    document = json.loads(result.out)
    assert document["until_ms"] - document["paused_at"] == 600_000
    assert document["until_iso"].endswith("Z") and document["reason"] == ""
    people = sokka("pause", "mail", "--for", "1h30m", "--reason", "x", "--yes")
    assert people.out.startswith("Paused topic 'mail' for 1h 30m, until 20") and people.out.endswith(" UTC.\n")
    resumed = sokka("resume", "mail", "--yes", "--json")
    assert json.loads(resumed.out)["resumed"] is True


def test_topics_shows_the_pauses(sokka, store):
    store.create_tasks([{"topic": "mail"}, {"topic": "jobs"}])
    store.pause_topic("mail", for_ms=600_000, reason="db [red]migration[/] \x1b[2J")
    store.pause_topic("empty", reason="not yet")  # a paused topic without tasks is listed too
    table = sokka("topics")
    assert table.code == 0, table.err
    header, *rows = table.lines
    assert header.rstrip().endswith("PAUSED")
    by_topic = {row.split()[0]: row for row in rows}
    assert set(by_topic) == {"empty", "jobs", "mail"}
    assert "left: db [red]migration[/] ␛[2J" in by_topic["mail"] and "\x1b" not in table.out
    assert "until resumed: not yet" in by_topic["empty"]
    assert "left" not in by_topic["jobs"] and "resumed" not in by_topic["jobs"]
    listed = {t["topic"]: t for t in json.loads(sokka("topics", "--json").out)}
    assert listed["jobs"]["paused"] is None
    assert listed["mail"]["paused"]["reason"] == "db [red]migration[/] \x1b[2J"
    assert listed["mail"]["paused"]["until_ms"] - listed["mail"]["paused"]["paused_at"] == 600_000
    assert listed["empty"]["counts"]["starting"] == 0 and listed["empty"]["paused"]["until_ms"] is None


def test_pause_and_resume_are_in_the_audit_trail(sokka, store):
    sokka("pause", "mail", "--for", "5m", "--reason", "deploy", "--yes")
    sokka("resume", "mail", "--yes")
    table = sokka("audit")
    assert table.code == 0, table.err
    resume_row, pause_row = table.lines[1:]
    assert " resume " in resume_row and " pause " in pause_row
    assert "for 5m 00s: deploy" in pause_row
    records = [json.loads(line) for line in sokka("audit", "--jsonl").lines]
    assert [(r["action"], r["task_id"], r["topic"], r["status_after"], r["record_ver_after"]) for r in records] == [
        ("resume", "", "mail", None, None), ("pause", "", "mail", None, None)]
    assert json.loads(records[1]["detail"])["reason"] == "deploy"


def test_confirmation_names_the_pause(sokka, store):
    declined = sokka("pause", "mail", "--for", "10m", "--reason", "r", stdin=Terminal("n\n"))
    assert declined.code == 1 and store.paused_topics() == []
    assert "Pause topic 'mail' for 10m 00s ('r'): no worker reserves its tasks? [y/N]" in declined.err
    accepted = sokka("pause", "mail", stdin=Terminal("y\n"))
    assert accepted.code == 0 and [p.topic for p in store.paused_topics()] == ["mail"]
    replacing = sokka("pause", "mail", "--for", "1m", stdin=Terminal("n\n"))
    assert "(it is PAUSED until resumed (by " in replacing.err and "; this replaces it)" in replacing.err
    resume = sokka("resume", "mail", stdin=Terminal("y\n"))
    assert resume.code == 0 and "Resume topic 'mail' (PAUSED until resumed (by " in resume.err


def test_bad_durations_are_usage_errors(sokka, store, capsys):
    for duration, message in [("0s", "longer than zero"), ("31d", "At most 30 days"), ("soon", "Not a duration")]:
        with pytest.raises(SystemExit) as exit_info:
            sokka("pause", "mail", "--for", duration, "--yes")
        err = capsys.readouterr().err
        assert exit_info.value.code == 2 and message in err and err.count("\n") == 1
    assert store.paused_topics() == []


def test_bad_input_is_one_line(sokka, store):
    for args, message in [
        (["pause", "mail", "--reason", "x" * 501, "--yes"], "at most 500 characters"),
        (["pause", "", "--yes"], "topic must not be empty"),
        (["pause", "mail"], "add --yes"),
    ]:
        result = sokka(*args)
        assert result.code == 2, (args, result)
        assert message in result.err and result.err.count("\n") == 1, (args, result.err)
    assert store.paused_topics() == []


def test_read_only_refuses_pause_before_connecting(sokka, store):
    for args in (["pause", "mail", "--yes"], ["resume", "mail", "--yes"]):
        result = sokka(*args, "--read-only")
        assert result.code == 2 and "read-only" in result.err
    assert store.paused_topics() == []
