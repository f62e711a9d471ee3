"""A client-side deadline on every wait for the PostgreSQL server.

``statement_timeout`` is enforced by the server, so it does nothing when the
server does not run at all (a paused or wedged process, a dead host behind a
live load balancer). ``tcp_user_timeout`` does not help on loopback either: the
kernel still acknowledges the data a stopped process never reads. Without a
deadline of our own a store call on such a server hangs for ever, and so does
the console's worker thread.

psycopg runs every round trip of a connection (execute, fetch, commit, COPY,
pipeline sync) through ``Connection.wait(gen, timeout=...)``, which raises when
``timeout`` passes; psycopg only passes one for ``notifies``. ``DeadlineConnection``
passes ``deadline_s`` to every wait. When it expires the connection is in an
unknown state (a statement sent and maybe run, its reply not read), so it is
closed at once: the pool discards it, and the caller gets ``ServerTimeout``
(an ``OperationalError``), which the store turns into ``StoreUnavailable``.
A write that timed out may or may not have been applied; the store never
re-sends one.

This leans on two psycopg internals, ``Connection.wait`` and
``psycopg.errors._WaitTimeout``; importing this module raises ``ImportError``,
naming the missing one, on a psycopg without them
(``tests/stores/test_private_names.py`` checks the installed one).

Connecting is bounded by libpq's ``connect_timeout`` (whole seconds, at least
2), and waiting for a pooled connection by the pool's ``timeout``. That wait is
cut short when the server refuses connections (it is down, or shutting down):
each pool's connection class records how its last connection attempt went
(``ConnectOutcomes``), and a caller waiting for a connection while the pool's
attempts fail gets the failure at once (``ServerUnreachable``, checked after
waits of 50 ms, 100 ms, ...) instead of the pool's ``PoolTimeout`` after the
whole timeout. A server that accepts connections but is slow is still waited
for.

A watchdog thread that shuts the socket down under a call that overran
measures from the start of the whole call, so here it would also cut a long
multi-batch transaction that is making progress; a deadline per wait does not.
The hot statements are the exception (``prepared.py``): each is one round
trip, run as one blocking libpq call, whose deadline is kept by exactly such a
watchdog (``watchdog.py``, which also closes the race with the pool reusing
the file descriptor).
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import select
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Generic, Self, TypeVar

import psycopg
import psycopg_pool
from psycopg import pq
from psycopg.abc import PQGen


def _private_wait_timeout() -> type[BaseException]:
    """psycopg's own wait timeout (``psycopg.errors._WaitTimeout``, a private
    name), after checking that ``Connection.wait`` takes ``timeout``. Without
    both there is no client deadline, and a paused server would hang every
    caller: refuse to import rather than run without it."""
    found = getattr(psycopg.errors, "_WaitTimeout", None)
    if not (isinstance(found, type) and issubclass(found, BaseException)):
        raise ImportError(
            f"stores.postgres needs psycopg.errors._WaitTimeout, a private name of psycopg, "
            f"which psycopg {psycopg.__version__} does not have: install a psycopg version "
            "the project supports (pyproject.toml)."
        )
    if "timeout" not in inspect.signature(psycopg.Connection.wait).parameters:
        raise ImportError(
            f"stores.postgres needs psycopg.Connection.wait(..., timeout=...), which psycopg "
            f"{psycopg.__version__} does not take: install a psycopg version the project "
            "supports (pyproject.toml)."
        )
    return found


#: The wait timeout psycopg raises when ``Connection.wait``'s ``timeout`` passes.
_WAIT_TIMEOUT = _private_wait_timeout()


Conn = TypeVar("Conn", bound=psycopg.Connection)
#: What a wait for the server's reply (or its hanging up) polls for.
WAIT_EVENTS = select.POLLIN | select.POLLERR | select.POLLHUP
_CONN_OK = pq.ConnStatus.OK
_IDLE = pq.TransactionStatus.IDLE
RV = TypeVar("RV")


class ServerTimeout(psycopg.OperationalError):
    """The server did not answer within the deadline; the connection was closed."""


def client_deadline(timeout: float) -> float:
    """The client's deadline for one round trip, given the store's ``timeout``.

    A little longer than the server's own ``statement_timeout`` and
    ``lock_timeout`` (both ``timeout``), so that a server that is alive but slow
    cancels the statement itself, cleanly, and the connection stays usable."""
    return timeout + min(1.0, max(0.2, timeout / 4))


class ServerUnreachable(psycopg.OperationalError):
    """The pool had no connection to give, and connecting to the server failed:
    it is down or refuses connections. Nothing was sent."""


#: Waits for a pooled connection between two looks at how connecting goes.
_FIRST_WAIT_S = 0.05
#: A failed attempt to connect this quick was refused (nothing listens, or the
#: server said no), rather than timed out: asking again costs as little.
_QUICK_FAILURE_S = 0.5


@dataclass(frozen=True)
class ConnectFailure:
    """A failed attempt to connect: when it ended, how long it took, its error."""

    at: float
    took_s: float
    error: psycopg.OperationalError


class ConnectOutcomes:
    """How the last attempt to connect of one pool (or its caller's probe) went."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._failure: ConnectFailure | None = None

    def failed(self, exc: psycopg.OperationalError, began: float) -> None:
        now = time.monotonic()
        with self._lock:
            self._failure = ConnectFailure(now, now - began, exc)

    def succeeded(self) -> None:
        with self._lock:
            self._failure = None

    def failure(self) -> ConnectFailure | None:
        """The last attempt, if it failed in a way that says the server cannot be
        reached; ``None`` if it succeeded (or there was none yet)."""
        with self._lock:
            failure = self._failure
        if failure is None or _crowded(failure.error):
            return None
        return failure


def _crowded(exc: BaseException) -> bool:
    """A refusal for lack of connection slots: the server is up, and one of our
    own connections may come back to the pool soon."""
    text = str(exc)
    return "too many clients" in text or "remaining connection slots" in text


class DeadlineConnection(psycopg.Connection):
    """A connection whose every wait for the server ends within ``deadline_s``."""

    #: Seconds; set on the subclass ``connection_class`` makes.
    deadline_s: float | None = None
    #: Set on the subclass ``pool_connection_class`` makes: its attempts to connect.
    outcomes: ConnectOutcomes | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: The statements ``stores.postgres.prepared`` has prepared on this session.
        self.prepared: set[bytes] = set()
        self._poller: select.poll | None = None

    @property
    def poller(self) -> select.poll:
        """A poll object on this connection's socket for reading (made once: the
        socket is the connection's for its life)."""
        if self._poller is None:
            poller = select.poll()
            poller.register(self.pgconn.socket, WAIT_EVENTS)
            self._poller = poller
        return self._poller

    @classmethod
    def connect(cls, conninfo: str = "", **kwargs: Any) -> Self:
        began = time.monotonic()
        try:
            conn = super().connect(conninfo, **kwargs)
        except psycopg.OperationalError as exc:
            if cls.outcomes is not None:
                cls.outcomes.failed(exc, began)
            raise
        if cls.outcomes is not None:
            cls.outcomes.succeeded()
        return conn

    def wait(self, gen: PQGen[RV], interval: float = 0.1, timeout: float | None = None) -> RV:
        if timeout is None:
            timeout = self.deadline_s
        try:
            return super().wait(gen, interval=interval, timeout=timeout)
        except _WAIT_TIMEOUT:
            # A request may be half sent or its reply half read: never reuse it.
            self.pgconn.finish()
            raise ServerTimeout(f"the server did not answer within {timeout:g} s") from None


@functools.cache
def connection_class(timeout: float) -> type[DeadlineConnection]:
    """The connection class for a store with this ``timeout`` (one per value)."""
    return type(
        "DeadlineConnection", (DeadlineConnection,),
        {"deadline_s": client_deadline(timeout), "__module__": __name__},
    )


def pool_connection_class(timeout: float) -> type[DeadlineConnection]:
    """A connection class of its own for one pool: ``connection_class(timeout)``
    that also records, in its ``outcomes``, how each attempt to connect went."""
    return type(
        "DeadlineConnection", (connection_class(timeout),),
        {"outcomes": ConnectOutcomes(), "__module__": __name__},
    )


def timed_out(exc: BaseException | None) -> bool:
    """Whether ``exc`` says the server did not answer in time (connect, pool or
    round trip): then trying again would only wait as long once more."""
    return isinstance(exc, (ServerTimeout, psycopg_pool.PoolTimeout, psycopg.errors.ConnectionTimeout))


def unreachable(exc: BaseException | None) -> bool:
    """Whether ``exc`` says the server could not be reached at all just now."""
    return isinstance(exc, ServerUnreachable)


def _getconn(
    pool: psycopg_pool.ConnectionPool[Conn], timeout: float, probe: Callable[[], None] | None
) -> Conn:
    """``pool.getconn(timeout)``, but raise ``ServerUnreachable`` as soon as the
    pool's attempts to connect fail: the last one failed since this call began,
    or it failed quickly (refused) before and ``probe``, a direct attempt to
    connect, fails too. A stale failure that took long (a timeout) is not
    probed: that would wait as long again; the pool is waited for instead."""
    outcomes: ConnectOutcomes | None = getattr(pool.connection_class, "outcomes", None)
    if outcomes is None:
        return pool.getconn(timeout=timeout)
    started = time.monotonic()
    ends = started + timeout
    wait = _FIRST_WAIT_S
    probed = False
    while True:
        try:
            return pool.getconn(timeout=max(0.001, min(wait, ends - time.monotonic())))
        except psycopg_pool.PoolTimeout as exc:
            failure = outcomes.failure()
            if failure is not None and failure.at >= started:
                error = failure.error
                raise ServerUnreachable(f"cannot connect: {' '.join(str(error).split())}") from error
            if (failure is not None and failure.took_s < _QUICK_FAILURE_S and not probed
                    and probe is not None):
                # Refused before this call: is the server still down, or is the
                # pool only waiting out its backoff before it tries again?
                probed = True
                with contextlib.suppress(psycopg.OperationalError):
                    probe()  # records its outcome too
                continue
            if time.monotonic() >= ends:  # said as the pool says it, of the whole wait
                raise psycopg_pool.PoolTimeout(f"couldn't get a connection after {timeout:.2f} sec") from exc
            wait *= 2


@contextlib.contextmanager
def pooled(
    pool: psycopg_pool.ConnectionPool[Conn], timeout: float, probe: Callable[[], None] | None = None
) -> Iterator[Conn]:
    """Like ``pool.connection(timeout)``, but a connection the server closed while
    it sat in the pool (a restart, an idle timeout, ``pg_terminate_backend``) is
    dropped for another instead of failing the caller's first statement; and
    when the pool's attempts to connect fail (a server that is down), the
    caller gets ``ServerUnreachable`` at once instead of waiting out ``timeout``
    (``probe``, a direct attempt to connect, tells a server still down from a
    pool waiting to try again: see ``_getconn``). ``checkout`` and ``checkin``
    are its two halves, for a caller that cannot afford a generator.

    It costs no round trip: a poll of the socket, which has nothing to read
    while the connection is idle and alive."""
    conn = checkout(pool, timeout, probe)
    ok = False
    try:
        yield conn
        ok = True
    finally:
        checkin(pool, conn, ok)


def checkout(
    pool: psycopg_pool.ConnectionPool[Conn], timeout: float, probe: Callable[[], None] | None = None
) -> Conn:
    """A live connection from ``pool`` (see ``pooled``); give it back with ``checkin``."""
    conn = _getconn(pool, timeout, probe)
    for _ in range(pool.max_size):  # at most every pooled connection is stale
        if not _closed_by_server(conn):
            break
        pool.putconn(conn)  # closed: the pool discards it and makes a new one
        conn = _getconn(pool, timeout, probe)
    return conn


def checkin(pool: psycopg_pool.ConnectionPool[Conn], conn: Conn, ok: bool) -> None:
    """Give ``conn`` back to ``pool``, its transaction (if any) committed when ``ok``, else rolled back."""
    try:
        # What ``with conn`` does on leaving, only when there is something
        # to end: the store's connections are in autocommit and use
        # explicit transaction blocks, so they are almost always idle here,
        # and the no-op commit was a second wait per call.
        if not conn.closed and conn.pgconn.transaction_status != pq.TransactionStatus.IDLE:
            if ok:
                conn.commit()
            else:
                with contextlib.suppress(psycopg.Error):
                    conn.rollback()
    finally:
        pool.putconn(conn)


#: A kept connection whose last call ended less than this long ago is used
#: without first polling its socket for a close: a worker's terminate follows
#: its reserve (and the next reserve its terminate) within microseconds, and
#: two polls a task were about 7 us of system CPU a cycle with 4 worker
#: processes on 2 cores (bench/README.md). A server that closes the connection
#: in that moment fails the call as it would fail one in flight; after a longer
#: idle (a restart, pg_terminate_backend, idle_session_timeout) the poll finds
#: the close and the call goes through on a new connection.
FRESH_S = 0.001
_monotonic = time.monotonic


class Lane(Generic[Conn]):
    """A fast lane in front of a pool for the store's hot statements: one
    connection kept between calls instead of going back through the pool,
    whose ``getconn`` and ``putconn`` (a lock, stats, three log calls) cost
    about 2 us a pair, twice a task for a worker. At most one connection is
    kept out of the pool; it is checked as ``checkout`` checks one (closed by
    the server: dropped for another), unless its last call ended less than
    ``FRESH_S`` ago, and a call that failed gives its connection back to the
    pool, which drops it if broken."""

    def __init__(
        self, pool: psycopg_pool.ConnectionPool[Conn], timeout: float, probe: Callable[[], None] | None = None
    ) -> None:
        self._pool = pool
        self._timeout = timeout
        self._probe = probe
        #: The kept connection and when its last call ended (``time.monotonic()``).
        self._kept: list[tuple[Conn, float]] = []  # pop and append are atomic: no lock
        self._closed = False  # the pool's own flag is a property: a call, twice a task

    def checkout(self) -> Conn:
        """The kept connection if it is there and alive, else one from the pool."""
        try:
            conn, returned_at = self._kept.pop()
        except IndexError:
            return checkout(self._pool, self._timeout, self._probe)
        # A kept connection is idle (checkin): alive unless closed or with
        # something to read (_closed_by_server's test, without its frames).
        # One that answered a moment ago is not polled (FRESH_S).
        if conn.pgconn.status == _CONN_OK and (_monotonic() - returned_at < FRESH_S or not _readable(conn)):
            return conn
        if _closed_by_server(conn):
            self._pool.putconn(conn)  # closed: the pool discards it
            return checkout(self._pool, self._timeout, self._probe)
        return conn

    def checkin(self, conn: Conn, ok: bool) -> None:
        """Keep ``conn`` (after a call that went well, when none is kept), else give it back."""
        # Idle implies open: a closed connection's transaction status is UNKNOWN.
        if ok and not self._kept and conn.pgconn.transaction_status == _IDLE and not self._closed:
            self._kept.append((conn, _monotonic()))
            if len(self._kept) == 1:
                return
            with contextlib.suppress(IndexError):  # another thread kept one at the same time
                checkin(self._pool, self._kept.pop()[0], True)
            return
        checkin(self._pool, conn, ok)

    def kept(self) -> list[Conn]:
        """The connection kept now, if any."""
        return [conn for conn, _ in self._kept]

    def close(self) -> None:
        """Give the kept connection back (before the pool closes); keep none from now on."""
        self._closed = True
        while self._kept:
            with contextlib.suppress(IndexError):
                self._pool.putconn(self._kept.pop()[0])


def _closed_by_server(conn: psycopg.Connection) -> bool:
    """Closed, or idle with something to read: a server that goes away sends a
    FATAL error, then end of file. We never LISTEN, so an idle connection has
    nothing else to hear but a rare notice: dropping one of those too costs
    only a reconnection."""
    if conn.closed:
        return True
    pgconn = conn.pgconn
    if pgconn.transaction_status != pq.TransactionStatus.IDLE or not _readable(conn):
        return False
    pgconn.finish()
    return True


def _readable(conn: psycopg.Connection) -> bool:
    if isinstance(conn, DeadlineConnection):
        return bool(conn.poller.poll(0))
    poller = select.poll()
    poller.register(conn.pgconn.socket, WAIT_EVENTS)
    return bool(poller.poll(0))
