"""``sokka-tui`` and ``sokka`` take the store options from one parser
definition: the same names, bounds and one-line errors in both."""

from __future__ import annotations

import pytest

from sokka_tui import cli
from sokka_tui.ops import main as ops


def _error_line(main, argv, capsys) -> str:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


@pytest.mark.parametrize("value", ["0", "-1", "3601", "nan", "abc"])
def test_a_bad_timeout_is_the_same_one_line_in_both_programs(value, capsys):
    console = _error_line(cli.main, ["sqlite://:memory:", "--timeout", value], capsys)
    command = _error_line(ops.main, ["topics", "--timeout", value], capsys)
    assert console.startswith("sokka-tui: error: ") and command.startswith("sokka topics: error: ")
    assert console.partition(": error: ")[2] == command.partition(": error: ")[2]
    assert "--timeout" in console and "Traceback" not in console


def test_both_programs_name_the_store_the_same_way():
    console = {a.dest for a in cli.build_parser()._actions}
    command = {a.dest for a in ops.build_parser()._actions}
    shared = {"context", "namespace", "read_only", "allow_write", "timeout"}
    assert shared <= console and shared <= command


def test_the_default_timeout_is_the_stores(capsys):
    from stores.protocol import DEFAULT_TIMEOUT_S

    assert cli.build_parser().parse_args([]).timeout == DEFAULT_TIMEOUT_S
    assert ops.build_parser().parse_args(["topics"]).timeout == DEFAULT_TIMEOUT_S
