"""Private PostgreSQL and Redis servers that a test may restart, pause or kill.

The shared servers (tests/servers.py) are used by every test and by other
people at once: never disrupt them. A test that needs a server to go away starts
one of these on a free loopback port, in a directory of its own, and removes it
afterwards (the fixtures do). When the binaries are missing the test is skipped.

``pause()`` sends SIGSTOP to the server and every process it forked: a
PostgreSQL backend that already serves a connection is a child of the
postmaster and would go on answering if only the postmaster were stopped.
The kernel still accepts connections and ACKs data for a stopped process, so a
paused server looks like a hung one, not like a dead one.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

import pytest

__all__ = ["PrivatePostgres", "PrivateRedis", "free_port", "private_postgres", "private_redis"]

START_TIMEOUT_S = 30


def free_port() -> int:
    """A loopback port nobody listens on right now (the caller binds it soon after)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for_port(port: int, process: subprocess.Popen | None, what: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{what} exited with status {process.returncode} while starting")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.02)
    raise RuntimeError(f"{what} did not listen on port {port} within {START_TIMEOUT_S} s")


def _children(pid: int) -> list[int]:
    """The direct children of ``pid``, from /proc."""
    found = []
    for stat in glob.glob("/proc/[0-9]*/stat"):
        try:
            text = Path(stat).read_text()
        except OSError:
            continue  # the process ended meanwhile
        # The command name (2nd field) is in parentheses and may hold spaces.
        fields = text[text.rindex(")") + 2 :].split()
        if int(fields[1]) == pid:
            found.append(int(stat.split("/")[2]))
    return found


def _signal(pids: list[int], signum: int) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signum)


class _Pausable:
    """SIGSTOP / SIGCONT a server and everything it forked."""

    paused = False

    def _root_pid(self) -> int:
        raise NotImplementedError

    def pause(self) -> None:
        """Freeze the server: it neither accepts nor answers, but sockets stay open."""
        root = self._root_pid()
        # The parent first, so it forks nothing new while its children are stopped.
        os.kill(root, signal.SIGSTOP)
        self._stopped = [root, *_children(root)]
        _signal(self._stopped[1:], signal.SIGSTOP)
        self.paused = True

    def resume(self) -> None:
        """Undo ``pause``: every process stopped goes on where it was."""
        if not self.paused:
            return
        _signal(list(reversed(self._stopped)), signal.SIGCONT)
        self.paused = False


class PrivatePostgres(_Pausable):
    """A PostgreSQL cluster of this test alone, on ``127.0.0.1:<free port>``.

    ``auth="trust"`` (default): any role connects without a password; ``.url``
    connects as the superuser ``user``. ``auth="scram"``: TCP connections need
    a scram-sha-256 password; the role ``user`` (created if it is not the
    superuser, and then allowed to create schemas in ``database``) gets
    ``password``, and ``.url`` carries it. ``url_for(user, password)`` builds
    others, e.g. with a wrong password. Administrative work goes through the
    Unix socket in the cluster's own directory, which stays ``trust``.

    Run as root (as the tests are), the cluster lives in a directory of its own
    under the system temp dir, owned by ``postgres`` (initdb refuses root, and
    ``tmp_path`` is not reachable by other users); ``stop()`` removes it."""

    SUPERUSER = "root"

    def __init__(
        self,
        tmp_path,
        *,
        auth: str = "trust",
        user: str | None = None,
        password: str | None = None,
        database: str = "postgres",
        bindir: str | None = None,
    ) -> None:
        if auth not in ("trust", "scram"):
            raise ValueError("auth is 'trust' or 'scram'")
        if auth == "scram" and not password:
            raise ValueError("auth='scram' needs a password")
        self.bindir = bindir or find_pg_bindir()
        if self.bindir is None:
            pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) not found")
        self.as_user = None
        if os.geteuid() == 0:
            try:
                pwd.getpwnam("postgres")
            except KeyError:
                pytest.skip("running as root and there is no 'postgres' user to run initdb as")
            self.as_user = "postgres"
        self.auth = auth
        self.user = user or self.SUPERUSER
        self.password = password
        self.database = database
        self.tmp_path = Path(tmp_path)
        self.base = Path(tempfile.mkdtemp(prefix="sokka-pg-")) if self.as_user else self.tmp_path / "pg"
        self.base.mkdir(exist_ok=True)
        self.data = self.base / "data"
        self.log = self.base / "server.log"
        self.port = free_port()
        self._initialized = False
        self._running = False

    # -- addresses --------------------------------------------------------------
    @property
    def url(self) -> str:
        """The URL tests connect with (TCP, ``user``, and ``password`` under scram)."""
        return self.url_for(self.user, self.password if self.auth == "scram" else None)

    def url_for(self, user: str | None = None, password: str | None = None, database: str | None = None) -> str:
        auth = quote(user or self.user, safe="")
        if password is not None:
            auth += ":" + quote(password, safe="")
        return f"postgresql://{auth}@127.0.0.1:{self.port}/{database or self.database}"

    @property
    def admin_conninfo(self) -> str:
        """Superuser, over the Unix socket (always ``trust``)."""
        return f"host={self.base} port={self.port} user={self.SUPERUSER} dbname={self.database}"

    # -- lifecycle ----------------------------------------------------------------
    def _run(self, *argv: str, check: bool = True) -> subprocess.CompletedProcess:
        prefix = ["runuser", "-u", self.as_user, "--"] if self.as_user else []
        return subprocess.run(
            [*prefix, *argv], check=check, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True, timeout=START_TIMEOUT_S + 10,
        )

    def _pg_ctl(self, *args: str) -> None:
        result = self._run(f"{self.bindir}/pg_ctl", "-D", str(self.data), "-l", str(self.log),
                           "-t", str(START_TIMEOUT_S), *args, check=False)
        if result.returncode != 0:
            log = self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""
            raise RuntimeError(f"pg_ctl {' '.join(args)} failed: {result.stdout}\n{log}")

    def _initdb(self) -> None:
        if self.as_user:
            shutil.chown(self.base, self.as_user)
            self.base.chmod(0o755)
        self._run(f"{self.bindir}/initdb", "-D", str(self.data), "-U", self.SUPERUSER, "--auth=trust",
                  "--no-sync", "--no-instructions", "-E", "UTF8", "--locale=C")
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write(
                f"\nport = {self.port}\nlisten_addresses = '127.0.0.1'\n"
                f"unix_socket_directories = '{self.base}'\n"
                "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
                "max_connections = 50\nshared_buffers = 16MB\nlogging_collector = off\n"
            )
        if self.auth == "scram":
            (self.data / "pg_hba.conf").write_text(
                "local all all trust\n"
                "host all all 127.0.0.1/32 scram-sha-256\n"
            )
        self._initialized = True

    def start(self) -> PrivatePostgres:
        """initdb on first use, then start and wait until it accepts connections."""
        if not self._initialized:
            self._initdb()
            for attempt in range(3):
                try:
                    self._pg_ctl("-w", "start")
                    break
                except RuntimeError:
                    if attempt == 2:
                        raise
                    # Someone took the port between free_port() and the bind: take another.
                    self.port = free_port()
                    with open(self.data / "postgresql.conf", "a") as conf:
                        conf.write(f"port = {self.port}\n")
            self._running = True
            self._setup_roles()
        else:
            self._pg_ctl("-w", "start")
            self._running = True
        _wait_for_port(self.port, None, "private PostgreSQL")
        return self

    def _setup_roles(self) -> None:
        if self.auth != "scram" and self.user == self.SUPERUSER:
            return
        import psycopg
        from psycopg import sql

        with psycopg.connect(self.admin_conninfo, autocommit=True, connect_timeout=10) as conn:
            role, db = sql.Identifier(self.user), sql.Identifier(self.database)
            if self.user != self.SUPERUSER:
                conn.execute(sql.SQL("CREATE ROLE {} LOGIN").format(role))
                conn.execute(sql.SQL("GRANT CREATE ON DATABASE {} TO {}").format(db, role))
            if self.password is not None:
                conn.execute(sql.SQL("ALTER ROLE {} PASSWORD {}").format(role, sql.Literal(self.password)))

    def stop(self, mode: str = "fast") -> None:
        """Shut the server down (``mode``: smart, fast or immediate); keep its data."""
        self.resume()
        if self._running:
            self._pg_ctl("-w", "-m", mode, "stop")
            self._running = False

    def restart(self, mode: str = "fast") -> None:
        """As ``pg_ctl restart``: every connection is cut, the data stays, same port."""
        self.resume()
        self._pg_ctl("-w", "-m", mode, "restart")
        self._running = True
        _wait_for_port(self.port, None, "private PostgreSQL")

    def remove(self) -> None:
        """Stop it (immediately) and delete its directory."""
        with contextlib.suppress(Exception):
            self.stop("immediate")
        if self._running:  # pg_ctl failed: kill what is left by its pid file
            with contextlib.suppress(Exception):
                os.kill(self._root_pid(), signal.SIGKILL)
        shutil.rmtree(self.base, ignore_errors=True)

    def _root_pid(self) -> int:
        return int((self.data / "postmaster.pid").read_text().split()[0])

    def backend_pids(self) -> list[int]:
        """The processes serving connections now (and the auxiliary ones)."""
        return _children(self._root_pid())

    def __enter__(self) -> PrivatePostgres:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.remove()


def find_pg_bindir() -> str | None:
    """Where initdb and pg_ctl are: ``SOKKA_TEST_PG_BINDIR``, PATH, or Debian's layout."""
    candidates = [os.environ.get("SOKKA_TEST_PG_BINDIR", "")]
    on_path = shutil.which("pg_ctl")
    if on_path:
        candidates.append(os.path.dirname(on_path))
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_version_key, reverse=True)
    for bindir in candidates:
        if bindir and all(os.access(os.path.join(bindir, tool), os.X_OK) for tool in ("initdb", "pg_ctl")):
            return bindir
    return None


def _version_key(path: str) -> int:
    part = Path(path).parent.name
    return int(part) if part.isdigit() else 0


class PrivateRedis(_Pausable):
    """A redis-server of this test alone, on ``127.0.0.1:<free port>``.

    By default it keeps nothing on disk, so ``kill()`` then ``start()`` gives an
    empty server. ``persistent=True`` turns on ``appendonly`` with ``appendfsync
    always``: every write is on disk before it is acknowledged, so the data
    survives ``restart()`` and even ``kill()``. ``extra_args`` go to
    redis-server last (e.g. ``["--appendonly", "yes", "--appendfsync",
    "everysec"]``, or ``["--requirepass", "pw"]``)."""

    def __init__(self, tmp_path, *, persistent: bool = False, extra_args: tuple[str, ...] = ()) -> None:
        if shutil.which("redis-server") is None:
            pytest.skip("redis-server not found")
        self.dir = Path(tmp_path) / "redis"
        self.dir.mkdir(exist_ok=True)
        self.persistent = persistent
        self.extra_args = tuple(extra_args)
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self._started_once = False

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> PrivateRedis:
        persistence = (["--appendonly", "yes", "--appendfsync", "always"] if self.persistent
                       else ["--appendonly", "no"])
        for attempt in range(3):
            self.process = subprocess.Popen(
                ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                 *persistence, "--dir", str(self.dir), "--logfile", str(self.dir / "server.log"),
                 *self.extra_args],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )
            try:
                _wait_for_port(self.port, self.process, "private redis-server")
                self._started_once = True
                return self
            except RuntimeError:
                self.kill()
                if attempt == 2 or self._started_once:
                    raise
                self.port = free_port()  # someone took the port meanwhile: take another
        raise AssertionError("unreachable")

    def stop(self) -> None:
        """A clean shutdown (SIGTERM): with ``persistent`` every write is kept."""
        self.resume()
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None

    def kill(self) -> None:
        """A crash (SIGKILL)."""
        self.resume()
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None

    def restart(self) -> None:
        """Stop cleanly and start again on the same port."""
        self.stop()
        self.start()

    def remove(self) -> None:
        self.kill()
        shutil.rmtree(self.dir, ignore_errors=True)

    def _root_pid(self) -> int:
        assert self.process is not None, "the server is not running"
        return self.process.pid

    def __enter__(self) -> PrivateRedis:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.remove()


@pytest.fixture
def private_postgres(tmp_path):
    """A started ``PrivatePostgres`` (trust auth), removed after the test."""
    server = PrivatePostgres(tmp_path)
    try:
        yield server.start()
    finally:
        server.remove()


@pytest.fixture
def private_redis(tmp_path):
    """A started ``PrivateRedis`` (nothing on disk), removed after the test."""
    server = PrivateRedis(tmp_path)
    try:
        yield server.start()
    finally:
        server.remove()
