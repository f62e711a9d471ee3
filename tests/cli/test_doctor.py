"""``sokka doctor``: the server's durability settings, the namespace's identity
and the clock, read without writing anything; exit 1 when a setting puts
acknowledged writes at risk."""

from __future__ import annotations

import json

import pytest

from sokka_tui.ops.doctor import Report
from stores import DurabilityCheck, StoreIdentity


def test_doctor_reports_every_check_and_the_identity(sokka, store, backend):
    result = sokka("doctor", "--json")
    report = json.loads(result.out)
    checks = store.durability()
    assert result.code == (0 if all(c.ok for c in checks) else 1), result.err
    assert [c["setting"] for c in report["checks"]] == [c.setting for c in checks] and checks
    identity = store.identity()
    assert identity is not None  # the fixture's store was opened writable: it has one
    assert report["identity"]["store_id"] == identity.store_id
    assert report["namespace"] == store.namespace
    assert abs(report["clock_skew_ms"]) < 60_000


def test_doctor_in_a_table_names_each_setting_and_writes_nothing(sokka, store, backend):
    before = store.topics()
    result = sokka("doctor")
    assert result.code in (0, 1), result.err
    for check in store.durability():
        assert check.setting in result.out
    assert "identity" in result.out and store.identity().store_id in result.out
    assert store.topics() == before


def test_the_report_says_what_is_at_risk():
    checks = [
        DurabilityCheck("fsync", "on", True),
        DurabilityCheck("synchronous_commit", "off", False, "a crash loses the last transactions"),
    ]
    report = Report("postgresql://root@db/app", "sokka", StoreIdentity("0123456789abcdef", 1_000), 61_000, 5,
                    ("the server requires no password; the one given was ignored",), checks)
    text = report.text()
    assert not report.healthy
    assert "RISK  a crash loses the last transactions" in text
    assert "1 of 2 settings puts acknowledged writes at risk." in text
    assert "warning    the server requires no password" in text
    assert "0123456789abcdef, created 1970-01-01 00:00:01 UTC (1m 00s ago)" in text
    document = report.to_json()
    assert document["ok"] is False and document["identity"]["created_at_iso"] == "1970-01-01T00:00:01.000Z"


def test_a_store_without_identity_says_so():
    report = Report("sqlite:///x.db", "sokka", None, 0, 0, (), [DurabilityCheck("journal_mode", "wal", True)])
    assert "identity   none" in report.text() and report.healthy


@pytest.mark.parametrize("backend", ["redis"])
def test_what_the_store_warned_of_at_open_is_one_line_on_stderr(sokka, store, store_url):
    url = store_url.replace("redis://", "redis://:WrongPw@", 1)
    result = sokka("topics", "--url", url, "--namespace", store.namespace, target=False)
    assert result.code == 0, result.err
    assert result.err.splitlines() == ["sokka: warning: the server requires no password; the one given was ignored"]
    assert "WrongPw" not in result.err + result.out
