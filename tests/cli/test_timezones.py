"""``--tz`` (and a context's ``tz``): tables show times in the zone with their
offsets; JSON stays epoch ms plus ISO UTC; a bad zone is one line and exit 2."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from sokka_tui import cli
from sokka_tui.render import absolute
from sokka_tui.timezones import UTC, parse_zone

BERLIN = parse_zone("Europe/Berlin")
TOKYO = parse_zone("Asia/Tokyo")


def _running(store, topic: str = "mail"):
    store.create_task({"topic": topic, "data": 1})
    return store.reserve_task(topic, "w-1")


def test_tables_show_every_time_in_the_zone_with_its_offset(sokka, store):
    task = _running(store)
    tasks = sokka("tasks", "mail", "--tz", "Europe/Berlin")
    assert tasks.code == 0 and tasks.err == ""
    assert "UPDATED" in tasks.lines[0] and "(UTC)" not in tasks.lines[0]
    assert BERLIN.cell(task.updated_at) in tasks.lines[1]  # 2026-12-05 08:03:12 +01:00
    leased = sokka("--tz", "Asia/Tokyo", "leased")  # before the command's name too
    assert "LEASE ENDS" in leased.lines[0] and "(UTC)" not in leased.lines[0]
    assert TOKYO.cell(task.lease_expires_at) in leased.lines[1] and "+09:00" in leased.lines[1]
    one = sokka("task", task.task_id, "--tz", "Europe/Berlin")
    assert f"created_at        {absolute(task.created_at, BERLIN)} (" in one.out
    assert sokka("revoke", task.task_id, "--yes").code == 0
    record = store.audit_log(task.task_id, {"limit": 1}).data[0]
    audit = sokka("audit", "--tz", "Europe/Berlin")
    assert audit.lines[0].split()[:2] == ["WHEN", "OPERATOR"]
    assert audit.lines[1].startswith(BERLIN.cell(record.at, millis=True) + "  ")
    watch = sokka("watch", "--once", "--tz", "Asia/Tokyo")
    assert watch.lines[0].startswith("── ") and " +09:00 · all topics" in watch.lines[0]
    doctor = sokka("doctor", "--tz", "Asia/Tokyo")
    identity = store.identity()
    assert identity is not None and TOKYO.format(identity.created_at, millis=False) in doctor.out


def test_utc_stays_the_default_as_before(sokka, store):
    task = _running(store)
    tasks = sokka("tasks", "mail")
    assert "UPDATED (UTC)" in tasks.lines[0] and UTC.cell(task.updated_at) in tasks.lines[1]
    assert "+00:00" not in tasks.out
    assert sokka("tasks", "mail", "--tz", "utc").out == tasks.out


def test_json_is_epoch_ms_and_iso_utc_whatever_the_zone(sokka, store):
    task = _running(store)
    store.snooze(task.task_id, "w-1", 60_000)
    for args in (("task", task.task_id, "--json"), ("tasks", "mail", "--jsonl"), ("leased", "--json"),
                 ("audit", "--json"), ("topics", "--json"), ("group", task.task_group_id, "--jsonl")):
        plain = sokka(*args)
        zoned = sokka(*args, "--tz", "Asia/Tokyo")
        assert plain.code == zoned.code == 0 and zoned.out == plain.out, args
    one = json.loads(sokka("task", task.task_id, "--json", "--tz", "Asia/Tokyo").out)
    assert one["created_at"] == task.created_at and one["created_at_iso"].endswith("Z")


def test_a_time_typed_on_the_command_line_is_read_in_the_zone(sokka, store):
    task = _running(store)
    wall = BERLIN.format(task.updated_at, millis=False, offset=False)  # its second, Berlin time
    later = BERLIN.format(task.updated_at + 1000, millis=False, offset=False)

    def listed(*args: str) -> bool:
        result = sokka("tasks", "mail", "--jsonl", *args)
        assert result.code == 0, result.err
        return task.task_id in result.out

    assert listed("--since", wall, "--tz", "Europe/Berlin")
    assert not listed("--since", later, "--tz", "Europe/Berlin")
    assert listed("--until", wall, "--tz", "UTC")  # read as UTC, the same words are an hour later
    # A time with its own offset keeps it, whatever the zone.
    iso = UTC.format(task.updated_at, "%Y-%m-%dT%H:%M:%S", millis=False, offset=False) + "+00:00"
    assert listed("--since", iso, "--tz", "Asia/Tokyo")


@pytest.mark.parametrize("bad", ["Mars/Base", "europe/berlin", "", "Europe/\x1b[2J"])
def test_an_unknown_zone_is_one_line_and_exit_2(sokka, capsys, bad):
    with pytest.raises(SystemExit) as exit_info:
        sokka("topics", "--tz", bad)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("sokka topics: error: argument --tz: unknown time zone ")
    assert "--tz Europe/Berlin" in err and "\x1b" not in err and "Traceback" not in err


def test_sokka_tui_refuses_an_unknown_zone_in_one_line():
    result = subprocess.run([sys.executable, "-m", "sokka_tui", "sqlite://:memory:", "--tz", "Mars/Base"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.startswith("sokka-tui: error: argument --tz: unknown time zone 'Mars/Base'")
    assert result.stderr.count("\n") == 1 and "--tz Europe/Berlin" in result.stderr


@pytest.fixture
def config(tmp_path, monkeypatch, store, store_url):
    path = tmp_path / "config.toml"
    path.write_text(f'[contexts.tokyo]\nurl = "{store_url}"\nnamespace = "{store.namespace}"\ntz = "Asia/Tokyo"\n')
    monkeypatch.setenv("SOKKA_CONFIG", str(path))
    return path


def test_a_contexts_tz_is_used_and_the_flag_wins(sokka, store, config):
    task = _running(store)
    by_context = sokka("tasks", "mail", "--context", "tokyo", target=False)
    assert by_context.code == 0 and TOKYO.cell(task.updated_at) in by_context.out
    by_flag = sokka("tasks", "mail", "--context", "tokyo", "--tz", "Europe/Berlin", target=False)
    assert BERLIN.cell(task.updated_at) in by_flag.out and "+09:00" not in by_flag.out
    assert "UPDATED (UTC)" in sokka("tasks", "mail", "--context", "tokyo", "--tz", "UTC", target=False).out


def test_a_bad_tz_in_a_context_is_one_line_and_exit_2(sokka, config, store_url):
    config.write_text(f'[contexts.tokyo]\nurl = "{store_url}"\ntz = "Asia/Tokio"\n')
    result = sokka("topics", "--context", "tokyo", target=False)
    assert result.code == 2 and result.err.count("\n") == 1
    assert "[contexts.tokyo]: 'tz': unknown time zone 'Asia/Tokio'" in result.err and "Europe/Berlin" in result.err
    config.write_text(f'[contexts.tokyo]\nurl = "{store_url}"\ntz = 9\n')
    typed = sokka("topics", "--context", "tokyo", target=False)
    assert typed.code == 2 and "'tz' must be text" in typed.err


def test_sokka_tui_takes_the_zone_from_the_flag_or_the_context(store, config, monkeypatch):
    given = {}

    class NoApp:
        def run(self) -> None:
            pass

    def build_app(store, **kwargs):
        given.update(kwargs)
        return NoApp()

    monkeypatch.setattr("sokka_tui.app.build_app", build_app)
    assert cli.main(["--context", "tokyo"]) == 0 and given["zone"] == TOKYO
    assert cli.main(["--context", "tokyo", "--tz", "Europe/Berlin"]) == 0 and given["zone"] == BERLIN
    assert cli.main(["--context", "tokyo", "--tz", "utc"]) == 0 and given["zone"] is UTC
