"""The command line: bad input is one line on stderr, exit code 2, no traceback,
no password echoed, within seconds."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import pytest

from tests.servers import PG_URL


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run_cli(*args: str, timeout: float = 30) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "sokka_tui", *args], capture_output=True, text=True, timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


@pytest.mark.parametrize(
    "args",
    [
        ["not-a-url"],
        ["mysql://root:hunter2-pw@localhost/db"],
        ["postgresql://root:hunter2-pw@[::1/test"],
        ["redis://:hunter2-pw@[::1/0"],
        ["rediss+cluster://:hunter2-pw@[bad/0"],
        ["redis://:hunter2-pw@127.0.0.1:notaport/0"],
        ["postgresql://root:hunter2-pw@127.0.0.1:99999/test"],
        ["postgresql://root:hunter2-pw@127.0.0.1:CLOSED/test", "--timeout", "2"],
        ["redis://:hunter2-pw@127.0.0.1:CLOSED/0", "--timeout", "2"],
        [PG_URL.rsplit("/", 1)[0] + "/no_such_database_xyz", "--timeout", "2"],
        ["sqlite:///no/such/dir/x.db"],
        ["sqlite://:memory:", "--namespace", "bad-name!"],
        ["sqlite://:memory:", "--refresh", "0.1"],
        ["sqlite://:memory:", "--refresh", "soon"],
        ["sqlite://:memory:", "--lease-time", "-5m"],
        ["sqlite://:memory:", "--no-such-flag"],
    ],
    ids=lambda args: " ".join(args)[:50],
)
def test_bad_input_is_one_clear_line(args):
    port = str(_closed_port())
    args = [arg.replace("CLOSED", port) for arg in args]
    started = time.monotonic()
    result = run_cli(*args)
    assert time.monotonic() - started < 15
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("sokka-tui: error:"), result.stderr
    assert "Traceback" not in result.stderr and "hunter2-pw" not in result.stderr
    assert result.stdout == ""


def test_help():
    result = run_cli("--help")
    assert result.returncode == 0 and "demo" in result.stdout and "--read-only" in result.stdout
