"""The installed ``sokka`` command, run as a real process: exit codes, one line
on stderr, never a traceback, never a password."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.servers import PG_URL

SOKKA = str(Path(sys.executable).parent / "sokka")


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run(*args: str, stdin: str | None = None, timeout: float = 30) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("SOKKA_STORE_URL", "SOKKA_DEBUG")}
    env["SOKKA_CONFIG"] = "/nonexistent/sokka.toml"
    return subprocess.run(
        [SOKKA, *args], capture_output=True, text=True, timeout=timeout, env=env,
        input=stdin, stdin=None if stdin is not None else subprocess.DEVNULL,
    )


def _one_error_line(result: subprocess.CompletedProcess, kind: str = "error") -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"sokka: {kind}"), result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


def test_exit_codes_of_a_real_process(store, store_url):
    target = ["--url", store_url, "--namespace", store.namespace]
    store.create_task({"task_id": "t-1", "topic": "mail", "data": {"a": 1}})
    store.reserve_task("mail", "w-1")

    ok = run("tasks", "mail", "--jsonl", *target)
    assert ok.returncode == 0 and ok.stderr == "" and json.loads(ok.stdout)["task_id"] == "t-1"
    refused = run("revoke", "t-1", "--if-version", "1", "--yes", *target)
    assert refused.returncode == 1 and "is at version 2, not 1" in _one_error_line(refused, "refused")
    no_tty = run("revoke", "t-1", *target)
    assert no_tty.returncode == 2 and "--yes" in _one_error_line(no_tty)
    piped_data = run("create", "mail", "--data", "-", "--id", "t-2", "--yes", "--json", *target, stdin='{"b": 2}')
    assert piped_data.returncode == 0 and json.loads(piped_data.stdout)["data"] == {"b": 2}
    done = run("revoke", "t-1", "--yes", *target)
    assert done.returncode == 0 and done.stdout.startswith("Revoked the lease of task 't-1'")


@pytest.mark.parametrize(
    "args",
    [
        ["topics", "--url", "not-a-url"],
        ["topics", "--url", "mysql://root:hunter2-pw@localhost/db"],
        ["topics", "--url", "postgresql://root:hunter2-pw@127.0.0.1:CLOSED/test", "--timeout", "2"],
        ["topics", "--url", "redis://:hunter2-pw@127.0.0.1:CLOSED/0", "--timeout", "2"],
        ["revoke", "x", "--yes", "--url", "redis://:hunter2-pw@127.0.0.1:CLOSED/0", "--timeout", "2"],
        ["topics", "--url", PG_URL.rsplit("/", 1)[0] + "/no_such_database_xyz", "--timeout", "2"],
        ["topics", "--url", "sqlite:///no/such/dir/x.db"],
        ["topics", "--url", "sqlite://:memory:", "--namespace", "bad-name!"],
        ["topics", "--context", "prod"],
        ["tasks"],
        ["purge", "--older-than", "soon", "--url", "postgresql://root:hunter2-pw@h/db"],
    ],
    ids=lambda args: " ".join(args)[:60],
)
def test_bad_input_is_one_clear_line_exit_2(args):
    port = str(_closed_port())
    started = time.monotonic()
    result = run(*[arg.replace("CLOSED", port) for arg in args])
    assert time.monotonic() - started < 15
    assert result.returncode == 2, result.stderr
    line = result.stderr.strip()
    assert "\n" not in line and line.startswith("sokka"), result.stderr
    assert "Traceback" not in result.stderr and "hunter2-pw" not in result.stderr
    assert result.stdout == ""


def test_help_and_module_entry():
    result = run("--help")
    assert result.returncode == 0 and "revoke-expired" in result.stdout and "--context" in result.stdout
    assert "Exit codes" in result.stdout
    module = subprocess.run([sys.executable, "-m", "sokka_tui.ops", "purge", "--help"], capture_output=True,
                            text=True, timeout=30)
    assert module.returncode == 0 and "--older-than" in module.stdout


def test_a_closed_pipe_is_not_an_error(store, store_url):
    store.create_tasks({"topic": "t", "data": i} for i in range(3_000))
    shell = f"{SOKKA} tasks t --jsonl --url '{store_url}' --namespace {store.namespace} | head -n 1"
    result = subprocess.run(["bash", "-o", "pipefail", "-c", shell], capture_output=True, text=True, timeout=60)
    assert result.stdout.count("\n") == 1 and "Traceback" not in result.stderr and result.stderr == ""


@pytest.mark.parametrize("backend", ["postgres"])
def test_a_password_in_the_url_is_not_in_the_process_title(make_store):
    """``sokka`` rewrites its command line as soon as it starts: ``ps`` and
    /proc/<pid>/cmdline show ``***`` where the password was."""
    store = make_store()
    store.create_task({"topic": "mail"})
    url = PG_URL.replace("root@", "root:hunter2-title@")  # the shared server trusts root: it is ignored
    env = {k: v for k, v in os.environ.items() if k not in ("SOKKA_STORE_URL", "SOKKA_DEBUG")}
    env["SOKKA_CONFIG"] = "/nonexistent/sokka.toml"
    process = subprocess.Popen(
        [SOKKA, "--url", url, "--namespace", store.namespace, "watch", "--interval", "30"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, env=env,
    )
    try:
        process.stdout.readline()  # the first block is printed after the title is rewritten
        cmdline = Path(f"/proc/{process.pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        assert "hunter2-title" not in cmdline and "***" in cmdline and "watch" in cmdline
    finally:
        process.terminate()
        process.wait(timeout=10)
