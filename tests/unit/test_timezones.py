"""``--tz``: parsing a zone, and an instant shown in it with the offset of that instant."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from sokka_tui.query import TaskQuery, parse_moment
from sokka_tui.render import absolute
from sokka_tui.timezones import UTC, ZoneError, parse_zone

#: 2026-12-05 07:03:12.123 UTC: winter in Berlin (+01:00).
WINTER = int(dt.datetime(2026, 12, 5, 7, 3, 12, tzinfo=dt.UTC).timestamp()) * 1000 + 123
#: 2026-07-05 07:03:12.000 UTC: summer in Berlin (+02:00).
SUMMER = int(dt.datetime(2026, 7, 5, 7, 3, 12, tzinfo=dt.UTC).timestamp()) * 1000


@pytest.fixture
def tz_env(monkeypatch):
    """Set ``$TZ`` for the C library too; put back as it was afterwards."""

    def set_tz(value: str | None) -> None:
        if value is None:
            monkeypatch.delenv("TZ", raising=False)
        else:
            monkeypatch.setenv("TZ", value)
        time.tzset()

    yield set_tz
    monkeypatch.undo()
    time.tzset()


def test_utc_is_the_default_and_reads_as_before():
    assert absolute(WINTER) == "2026-12-05 07:03:12.123 UTC"
    assert absolute(WINTER, UTC) == absolute(WINTER)
    for spelled in ("UTC", "utc", " Utc "):
        assert parse_zone(spelled) is UTC
    assert UTC.label(WINTER) == "UTC" and UTC.heading("WHEN") == "WHEN (UTC)"
    assert UTC.cell(WINTER) == "2026-12-05 07:03:12"  # the heading says UTC


def test_an_area_city_zone_shows_each_instant_with_its_own_offset():
    berlin = parse_zone("Europe/Berlin")
    assert absolute(WINTER, berlin) == "2026-12-05 08:03:12.123 +01:00"
    # Summer time: the offset is that of the instant shown, not of now.
    assert absolute(SUMMER, berlin) == "2026-07-05 09:03:12.000 +02:00"
    assert berlin.cell(SUMMER) == "2026-07-05 09:03:12 +02:00" and berlin.heading("WHEN") == "WHEN"
    assert berlin.label(WINTER) == "Europe/Berlin (+01:00)" and berlin.label(SUMMER) == "Europe/Berlin (+02:00)"
    assert absolute(WINTER, parse_zone("America/St_Johns")) == "2026-12-05 03:33:12.123 -03:30"
    assert absolute(WINTER, parse_zone("Asia/Kathmandu")) == "2026-12-05 12:48:12.123 +05:45"
    assert absolute(None, berlin) == "—"


def test_local_is_the_machines_zone_by_name(tz_env):
    tz_env("America/New_York")
    local = parse_zone("local")
    assert local.label(WINTER) == "local America/New_York (-05:00)"
    assert absolute(WINTER, local) == "2026-12-05 02:03:12.123 -05:00"
    assert absolute(SUMMER, local) == "2026-07-05 03:03:12.000 -04:00"


def test_local_from_a_posix_rule_still_follows_summer_time(tz_env):
    tz_env("CET-1CEST,M3.5.0,M10.5.0/3")
    local = parse_zone("LOCAL")
    assert local.label(WINTER) == "local CET (+01:00)"
    assert absolute(WINTER, local) == "2026-12-05 08:03:12.123 +01:00"
    assert absolute(SUMMER, local) == "2026-07-05 09:03:12.000 +02:00"
    assert local.read(dt.datetime(2026, 12, 5, 8, 3, 12)) == WINTER - 123


@pytest.mark.parametrize("bad", ["Mars/Base", "Europe/Berlim", "../../etc/passwd", "", "x" * 300, "Europe/\x1b[2J"])
def test_an_unknown_zone_is_one_message_naming_it_with_an_example(bad):
    with pytest.raises(ZoneError) as refused:
        parse_zone(bad)
    message = str(refused.value)
    assert message.startswith("unknown time zone ") and "--tz Europe/Berlin" in message
    assert "\n" not in message and "\x1b" not in message and len(message) < 200


def test_a_zone_in_the_wrong_case_gets_a_suggestion():
    with pytest.raises(ZoneError, match=r"did you mean Europe/Berlin\?"):
        parse_zone("europe/berlin")


def test_typed_times_are_read_in_the_zone():
    berlin = parse_zone("Europe/Berlin")
    assert parse_moment("2026-12-05 08:03:12", 0, berlin) == WINTER - 123
    assert parse_moment("2026-07-05 09:03", 0, berlin) == SUMMER - 12_000
    assert parse_moment("2026-12-05 07:03:12", 0) == WINTER - 123  # UTC by default, as before
    assert parse_moment("15m", 1_000_000, berlin) == 100_000  # a duration ago does not depend on it
    with pytest.raises(ValueError, match="or Europe/Berlin 2026-11-29 08:00"):
        parse_moment("yesterday", 0, berlin)


def test_a_filters_description_shows_its_times_in_the_zone():
    query = TaskQuery(topic="t", from_ms=WINTER)
    assert query.describe() == "updated since 2026-12-05 07:03:12.123 UTC"
    assert query.describe(parse_zone("Europe/Berlin")) == "updated since 2026-12-05 08:03:12.123 +01:00"


def test_messages_of_settled_actions_and_a_reset_store_use_the_zone():
    from sokka_tui.identity_watch import reset_message
    from sokka_tui.settle import Attempt, Settlement
    from tests.unit.test_identity_watch import FIRST, OTHER
    from tests.unit.test_settle import AFTER, REQUEST, record

    berlin = parse_zone("Europe/Berlin")
    settled = Settlement(REQUEST, True, AFTER, record(WINTER), Attempt()).message(berlin)
    assert "the store recorded it at 2026-12-05 08:03:12.123 +01:00 (v3→v4)" in settled
    said = reset_message(FIRST, OTHER, 1, berlin)
    assert said.startswith("The store was reset: it has another identity (made 2025-11-24 17:10:00 +01:00;")


def test_area_city_works_without_system_zone_files():
    """The ``tzdata`` dependency: zoneinfo falls back to it when no zone file is found."""
    import os
    import subprocess
    import sys

    code = f"from sokka_tui.timezones import parse_zone; print(parse_zone('Europe/Berlin').label({WINTER}))"
    env = {**os.environ, "PYTHONTZPATH": "/no-such-zoneinfo"}
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert (result.returncode, result.stdout) == (0, "Europe/Berlin (+01:00)\n"), result.stderr
