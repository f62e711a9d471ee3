"""``sokka-tui --expiring-grace``: a duration, 0 turns the grace off, bad input is
one line and exit code 2."""

from __future__ import annotations

import pytest

from sokka_tui.cli import build_parser
from sokka_tui.leases import DEFAULT_GRACE_MS


@pytest.mark.parametrize(("given", "ms"), [("2s", 2_000), ("500ms", 500), ("0", 0), ("0s", 0), ("1m", 60_000)])
def test_the_grace_is_a_duration_and_zero_turns_it_off(given, ms):
    assert build_parser().parse_args(["--expiring-grace", given]).expiring_grace == ms


def test_the_grace_defaults_to_two_seconds():
    assert build_parser().parse_args([]).expiring_grace == DEFAULT_GRACE_MS == 2_000


@pytest.mark.parametrize(("given", "reason"), [
    ("-1s", "cannot be negative"), ("soon", "Not a duration"), ("1h", "At most 5m 00s"),
])
def test_a_bad_grace_is_one_line_and_exit_code_2(given, reason, capsys):
    with pytest.raises(SystemExit) as exit_:
        build_parser().parse_args([f"--expiring-grace={given}"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and reason in err and "Traceback" not in err
