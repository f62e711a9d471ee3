"""Connection safety, end to end on real servers: wrong passwords, libpq
parameters and ``sslmode``, ``rediss://`` (TLS), and a URL's password kept out
of the process title, the screen and every message."""

from __future__ import annotations

import contextlib
import secrets
import shutil
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest

import stores
from stores import StoreUnavailable
from tests.private_servers import PrivatePostgres, free_port
from tests.server_users import redis_user, with_credentials
from tests.servers import PG_URL, REDIS_URL, drop_namespace, new_namespace
from tests.tui.test_cli import run_cli

ROOT = Path(__file__).resolve().parents[2]


def _assert_one_clean_line(result: subprocess.CompletedProcess, *secrets_: str) -> str:
    assert result.returncode == 2, result
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("sokka-tui: error:"), result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
    for secret in secrets_:
        assert secret not in result.stderr
    return lines[0]


def _timed_cli(*args: str, limit_s: float = 15) -> subprocess.CompletedProcess:
    started = time.monotonic()
    result = run_cli(*args)
    assert time.monotonic() - started < limit_s
    return result


# -- wrong passwords ---------------------------------------------------------------
@pytest.mark.redis
def test_wrong_redis_password_is_one_line():
    host = REDIS_URL.split("://", 1)[1].rsplit("@", 1)[-1]
    with redis_user("~nothing:*", "+@read") as (user, password):
        wrong = "hunter2-" + secrets.token_hex(4)
        for url in (f"redis://{user}:{wrong}@{host}", f"redis://{quote(user)}x:{wrong}@{host}"):
            line = _assert_one_clean_line(_timed_cli(url, "--timeout", "3"), wrong, password)
            assert "***" in line or "password" in line.lower() or "auth" in line.lower()
            with pytest.raises(StoreUnavailable) as caught:
                stores.open_store(url, timeout=3)
            assert wrong not in str(caught.value)


@pytest.fixture
def scram_postgres(tmp_path):
    server = PrivatePostgres(tmp_path, auth="scram", user="app", password="right-" + secrets.token_hex(6))
    try:
        yield server.start()
    finally:
        server.remove()


def test_wrong_postgres_password_is_one_line(scram_postgres):
    wrong = "hunter2-" + secrets.token_hex(4)
    bad_url = scram_postgres.url_for("app", wrong)
    line = _assert_one_clean_line(_timed_cli(bad_url, "--timeout", "3"), wrong, scram_postgres.password)
    assert "password authentication failed" in line
    with pytest.raises(StoreUnavailable) as caught:
        stores.open_store(bad_url, timeout=3)
    assert wrong not in str(caught.value) and caught.value.__cause__ is not None
    # The right password works, and what it shows carries no password either.
    with stores.open_store(scram_postgres.url, namespace="ns", timeout=5) as store:
        assert store.create_task({"topic": "t"}).record_ver == 1
        assert scram_postgres.password not in repr(store)


# -- libpq parameters --------------------------------------------------------------
@pytest.mark.postgres
def test_libpq_parameters_reach_the_server():
    import psycopg

    app_name = f"sokka-probe-{secrets.token_hex(4)}"
    query = f"application_name={app_name}&sslmode=disable&connect_timeout=3&options=-c%20work_mem%3D7777kB"
    url = f"{PG_URL}{'&' if '?' in PG_URL else '?'}{query}"
    namespace = new_namespace("libpq")
    try:
        with stores.open_store(url, namespace=namespace, timeout=5) as store:
            store.create_task({"topic": "t"})
            with store._pool.connection() as conn:
                assert conn.execute("SHOW work_mem").fetchone()[0] == "7777kB"
                assert conn.execute("SHOW statement_timeout").fetchone()[0] == "5s"  # ours too
                assert conn.info.get_parameters()["application_name"] == app_name
                assert conn.pgconn.ssl_in_use is False
            with psycopg.connect(PG_URL, autocommit=True) as admin:
                rows = admin.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", (app_name,)
                ).fetchone()
                assert rows[0] >= 1
    finally:
        drop_namespace("postgres", namespace)


@pytest.mark.postgres
def test_sslmode_require_against_a_server_without_ssl_is_one_line():
    url = PG_URL.replace("postgresql://root@", "postgresql://root:hunter2-pw@") + "?sslmode=require"
    line = _assert_one_clean_line(_timed_cli(url, "--timeout", "3"), "hunter2-pw")
    assert "SSL" in line


# -- rediss:// ----------------------------------------------------------------------
@pytest.fixture
def tls_redis(tmp_path):
    """A private redis-server that speaks only TLS, with a self-signed certificate."""
    if shutil.which("redis-server") is None or shutil.which("openssl") is None:
        pytest.skip("redis-server or openssl not found")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
         "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True, timeout=60,
    )
    port = free_port()
    process = subprocess.Popen(
        ["redis-server", "--port", "0", "--tls-port", str(port), "--bind", "127.0.0.1",
         "--tls-cert-file", str(cert), "--tls-key-file", str(key), "--tls-ca-cert-file", str(cert),
         "--tls-auth-clients", "no", "--save", "", "--appendonly", "no", "--dir", str(tmp_path)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 20
        import socket

        while True:
            if process.poll() is not None:
                output = process.stdout.read().decode(errors="replace")
                pytest.skip(f"this redis-server cannot serve TLS: {output[-300:]}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
            assert time.monotonic() < deadline, "TLS redis-server did not start"
            time.sleep(0.05)
        yield port, cert
    finally:
        process.kill()
        process.wait()


def test_rediss_uses_tls_end_to_end(tls_redis):
    port, cert = tls_redis
    url = f"rediss://127.0.0.1:{port}/0?ssl_ca_certs={quote(str(cert))}&ssl_cert_reqs=required"
    with stores.open_store(url, namespace="ns", timeout=5) as store:
        task = store.create_task({"topic": "tls", "data": {"over": "tls"}})
        assert store.task(task.task_id) == task
        assert store._client.connection_pool.connection_class.__name__ == "SSLConnection"
    # The same server refuses plain text: rediss:// is what made it work.
    with pytest.raises(StoreUnavailable):
        stores.open_store(f"redis://127.0.0.1:{port}/0", namespace="ns", timeout=2)
    # And a certificate nobody vouches for is refused: the TLS is real, not bypassed.
    with pytest.raises(StoreUnavailable) as caught:
        stores.open_store(f"rediss://127.0.0.1:{port}/0", namespace="ns", timeout=3)
    assert "certificate" in str(caught.value).lower()


@pytest.mark.redis
def test_rediss_against_a_plain_server_is_one_line():
    host = REDIS_URL.split("://", 1)[1].rsplit("@", 1)[-1]
    line = _assert_one_clean_line(_timed_cli(f"rediss://:hunter2-pw@{host}", "--timeout", "3"), "hunter2-pw")
    # A plain server waits for the rest of what it takes for a command; the TLS
    # handshake times out (test_rediss_uses_tls_end_to_end proves the TLS itself).
    assert "timeout connecting" in line.lower() or "ssl" in line.lower()


# -- the password never shows: process title, screen -----------------------------
class Tmux:
    """A private tmux server (its own socket) running one command in a fixed-size pane."""

    def __init__(self) -> None:
        if shutil.which("tmux") is None:
            pytest.skip("tmux not found")
        self.socket = f"sokka-{secrets.token_hex(5)}"

    def _tmux(self, *args: str) -> str:
        return subprocess.run(["tmux", "-L", self.socket, *args], check=True, capture_output=True,
                              text=True, timeout=10).stdout

    def start(self, argv: list[str], env: dict[str, str]) -> int:
        command = " ".join(f"'{a}'" for a in argv)
        exports = " ".join(f"{k}='{v}'" for k, v in env.items())
        self._tmux("new-session", "-d", "-s", "main", "-x", "160", "-y", "48", f"env {exports} {command}")
        return int(self._tmux("display", "-p", "-t", "main", "#{pane_pid}").strip())

    def screen(self) -> str:
        return self._tmux("capture-pane", "-p", "-t", "main")

    def keys(self, *keys: str) -> None:
        self._tmux("send-keys", "-t", "main", *keys)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._tmux("kill-server")


def _running(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"


def _cmdline(pid: int) -> str:
    return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\x00", b" ").decode(errors="replace")


@pytest.fixture
def secret_url(request):
    """A URL with a real password for each server, and its namespace (made, then dropped)."""
    namespace = new_namespace("title")
    if request.param == "redis":
        with redis_user(f"~{namespace}:*", "+@all") as (user, password):
            host = REDIS_URL.split("://", 1)[1].rsplit("@", 1)[-1]
            yield f"redis://{user}:{password}@{host}", password, namespace
        drop_namespace("redis", namespace)
    else:  # the shared server trusts root: the password is not checked but is in the URL
        password = "hunter2-" + secrets.token_hex(6)
        yield with_credentials(PG_URL, "root", password), password, namespace
        drop_namespace("postgres", namespace)


@pytest.mark.parametrize(
    "secret_url", [pytest.param(kind, marks=getattr(pytest.mark, kind)) for kind in ("postgres", "redis")],
    indirect=True,
)
def test_password_stays_out_of_process_title_and_screen(secret_url):
    url, password, namespace = secret_url
    with stores.open_store(url, namespace=namespace, timeout=5) as store:
        store.create_task({"task_id": "visible-task", "topic": "title-topic"})
    tmux = Tmux()
    try:
        pid = tmux.start(
            [sys.executable, "-m", "sokka_tui", url, "--namespace", namespace, "--timeout", "5"],
            {"PYTHONPATH": str(ROOT), "TERM": "xterm-256color"},
        )
        deadline = time.monotonic() + 30
        while "title-topic" not in tmux.screen():
            assert time.monotonic() < deadline, tmux.screen()
            time.sleep(0.2)
        title = _cmdline(pid)
        assert password not in title and "***" in title and namespace in title
        screen = tmux.screen()
        assert password not in screen and "***@" in screen  # the store label, redacted
        tmux.keys("?")  # another screen: the help modal
        time.sleep(0.5)
        assert password not in tmux.screen()
        assert password not in _cmdline(pid)
        tmux.keys("Escape")
        time.sleep(0.5)  # else escape + q arrive as one key, alt+q
        tmux.keys("q")
        deadline = time.monotonic() + 15
        while _running(pid):
            assert time.monotonic() < deadline, "the console did not quit"
            time.sleep(0.1)
    finally:
        tmux.close()
