"""``sokka rates [TOPIC] [--resolution minute|10min]``: tasks created, finished,
failed and snoozed over time, per topic (totals and a sparkline) or one topic's
every bucket; JSON with epoch ms and UTC ISO; ``--tz`` for the table's times."""

from __future__ import annotations

import json

import pytest

from sokka_tui.ops import main as ops
from sokka_tui.rates import sparkline
from sokka_tui.timezones import parse_zone
from tests.stores.clock import wait_past


def _traffic(store):
    """mail: 6 created, 3 finished, 1 failed, 1 snoozed; jobs: 1 created."""
    store.create_tasks([{"task_id": f"m{i}", "topic": "mail"} for i in range(6)])
    store.create_task({"task_id": "j0", "topic": "jobs"})
    for write in (store.terminate, store.terminate, store.terminate, store.fail, store.snooze):
        write(store.reserve_task("mail", "w").task_id, "w")


def test_every_topic_with_its_totals_and_sparkline(sokka, store):
    _traffic(store)
    table = sokka("rates")
    assert table.code == 0, table.err
    heading, jobs, mail = table.out.splitlines()
    assert heading.split() == ["TOPIC", "CREATED", "1H", "FINISHED", "1H", "FAILED", "1H", "SNOOZED", "1H",
                               "FINISHED,", "LAST", "60", "x", "1", "MIN"]
    assert jobs.split() == ["jobs", "1", "0", "0", "0"]  # nothing finished: a blank sparkline
    assert mail.split()[:5] == ["mail", "6", "3", "1", "1"]
    assert mail.rstrip()[-2:].strip() == "█"  # the newest, the busiest (the writes may straddle a minute)
    day = sokka("rates", "--resolution", "10min")
    assert day.out.splitlines()[0].split()[:3] == ["TOPIC", "CREATED", "24H"]
    assert day.out.splitlines()[2].split()[:5] == ["mail", "6", "3", "1", "1"]


def test_no_topic_yet_is_an_empty_table(sokka, store):
    result = sokka("rates")
    assert (result.code, len(result.out.splitlines())) == (0, 1)
    assert json.loads(sokka("rates", "--json").out) == []


def test_one_topic_has_a_row_per_bucket(sokka, store):
    _traffic(store)
    table = sokka("rates", "mail")
    assert table.code == 0, table.err
    heading, *rows = table.out.splitlines()
    assert heading.split() == ["BUCKET", "START", "(UTC)", "CREATED", "FINISHED", "FAILED", "SNOOZED"]
    assert len(rows) == 60
    cells = [[int(n) for n in row.split()[2:]] for row in rows]
    assert [sum(column) for column in zip(*cells, strict=True)] == [6, 3, 1, 1]
    assert any(cells[-1]) and not any(map(any, cells[:-2]))  # the newest last (the writes may straddle a minute)
    day = sokka("rates", "mail", "--resolution", "10min").out.splitlines()
    assert len(day) == 1 + 144


def test_the_table_times_are_in_the_tz_zone(sokka, store):
    _traffic(store)
    (rates,) = store.rates("mail")
    berlin = sokka("rates", "mail", "--tz", "Europe/Berlin")
    assert berlin.code == 0, berlin.err
    heading, *rows = berlin.out.splitlines()
    assert heading.split()[:2] == ["BUCKET", "START"] and "(UTC)" not in heading
    assert rows[-1].startswith(parse_zone("Europe/Berlin").cell(rates.buckets[-1].start_ms))
    assert "+01:00" in rows[-1]


def test_json_has_every_bucket_in_epoch_ms_and_iso(sokka, store):
    _traffic(store)
    result = sokka("rates", "mail", "--json")
    assert result.code == 0, result.err
    (mail,) = json.loads(result.out)
    assert (mail["topic"], mail["resolution"], mail["width_ms"]) == ("mail", "minute", 60_000)
    assert mail["totals"] == {"created": 6, "terminated": 3, "failed": 1, "snoozed": 1}
    assert mail["now_iso"].endswith("Z") and isinstance(mail["now_ms"], int)
    buckets = mail["buckets"]
    assert len(buckets) == 60 and buckets[-1]["start_ms"] <= mail["now_ms"] < buckets[-1]["start_ms"] + 60_000
    assert buckets[-1]["start_iso"].endswith(":00.000Z")
    assert set(buckets[0]) == {"start_ms", "start_iso", "created", "terminated", "failed", "snoozed"}
    every = json.loads(sokka("rates", "--json", "--resolution", "10min").out)
    assert [(r["topic"], r["width_ms"], len(r["buckets"])) for r in every] == [
        ("jobs", 600_000, 144), ("mail", 600_000, 144)]
    lines = sokka("rates", "--jsonl").out.splitlines()
    assert [json.loads(line)["topic"] for line in lines] == ["jobs", "mail"]


def test_an_unknown_topic_is_refused(sokka, store):
    _traffic(store)
    result = sokka("rates", "nope")
    assert (result.code, result.out, result.err) == (1, "", "sokka: refused: no such topic 'nope'\n")
    hostile = sokka("rates", "x\x1b[2J")
    assert hostile.code == 1 and "\x1b" not in hostile.err


def test_a_topic_whose_tasks_are_gone_still_shows_what_it_did(sokka, store):
    store.create_task({"task_id": "t", "topic": "gone"})
    done = store.terminate(store.reserve_task("gone", "w").task_id, "w")
    wait_past(store, done.updated_at + 1)
    store.purge_tasks(1)  # finished over 1 ms ago, by the store's clock
    assert store.task("t") is None
    result = sokka("rates", "gone")
    assert result.code == 0, result.err
    cells = [[int(n) for n in row.split()[2:]] for row in result.out.splitlines()[1:]]
    assert [sum(column) for column in zip(*cells, strict=True)] == [1, 1, 0, 0]


@pytest.mark.parametrize("resolution", ["hour", "1m", ""])
def test_a_bad_resolution_is_one_line(resolution, capsys):
    with pytest.raises(SystemExit) as exited:
        ops.main(["rates", "--resolution", resolution, "--url", "sqlite://:memory:"])
    assert exited.value.code == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("sokka rates: error: argument --resolution: invalid choice")


def test_sparkline_scales_to_the_busiest_and_shows_any_activity():
    assert sparkline([]) == ""
    assert sparkline([0, 0]) == "  "
    assert sparkline([0, 1, 50, 100]) == " ▁▄█"
    assert sparkline([3, 3]) == "██"
