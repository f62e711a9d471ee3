"""The store's hot statements through libpq's prepared-statement interface.

A worker's reserve→terminate cycle is two statements; psycopg's
``Connection.execute`` spends about 30 us of client CPU on each of them
(a cursor, query conversion, parameter adaptation, its prepare bookkeeping,
row loading), as much again as libpq's own ``PQexecPrepared``. With 4 worker
processes on 2 cores that CPU is taken from the server, and the cycle ran at
0.8 x the same statements sent from a bare libpq loop (``bench/floors.py``).

So the few statements a worker runs once per task (``HOT``) are sent here
through psycopg's public ``pq`` wrapper: prepared once per connection under a
name of ours, executed with parameters in text format by one blocking
``PQexecPrepared`` (libpq sends, waits and reads without the GIL), and a task
read back as one JSON array (``TASK_JSON``). Everything else stays on
psycopg's ``execute``.

The call keeps the store's client deadline (``deadline.py``) through
``watchdog.py``: a reply that does not come within the connection's
``deadline_s`` has its socket shut down under the call, the connection closed
(a statement sent and maybe run, its reply not read) and ``ServerTimeout``
raised, as ``DeadlineConnection.wait`` does. A statement's first use on a
session (prepare and execute, pipelined) waits with ``poll`` as psycopg does.
An error reply becomes psycopg's exception for its SQLSTATE
(``psycopg.errors.error_from_result``), so the store's error handling sees
what ``execute`` would have raised; a connection lost under the call is
psycopg's ``OperationalError``.
"""

from __future__ import annotations

import math
import re
import select
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import pq

from stores.model import STATUS_OF_TEXT, Task, TaskStatus, task_decoded_later, task_of
from stores.postgres import watchdog
from stores.postgres.deadline import WAIT_EVENTS, DeadlineConnection, ServerTimeout
from stores.rows import parse_json
from stores.validation import TASK_FIELDS

#: The statements sent through this module: a worker runs each once per task.
HOT = ("reserve_task", "write_task", "extend_lease")

_PLACEHOLDER = re.compile(r"%\((\w+)\)s")
_TUPLES_OK = pq.ExecStatus.TUPLES_OK
_COMMAND_OK = pq.ExecStatus.COMMAND_OK
_BAD = pq.ConnStatus.BAD


@dataclass(frozen=True)
class Prepared:
    """One statement as libpq takes it: ``$n`` parameters, in ``params`` order."""

    name: bytes
    text: bytes
    params: tuple[str, ...]

    @classmethod
    def of(cls, name: str, query: str) -> Prepared:
        """``query`` (psycopg's ``%(name)s`` placeholders) numbered in order of first use."""
        params: list[str] = []

        def number(match: re.Match[str]) -> str:
            if match[1] not in params:
                params.append(match[1])
            return f"${params.index(match[1]) + 1}"

        text = _PLACEHOLDER.sub(number, query)
        if "%" in text:  # a literal % (written %%) or a positional %s: not ours to number
            raise ValueError(f"{name}: a % left after numbering its parameters")
        return cls(f"sokka_{name}".encode(), text.encode(), tuple(params))

    def values(self, params: Mapping[str, object]) -> list[bytes | None]:
        """``params`` in text format, in this statement's order (the server
        infers their types). Raises ``TypeError`` for a value of another type."""
        try:
            return [_TEXT_OF[type(value)](value) for value in map(params.__getitem__, self.params)]
        except KeyError as exc:
            if isinstance(exc.args[0], type):
                raise TypeError(f"no text format here for a {exc.args[0].__name__}") from None
            raise


def text_param(value: str) -> bytes:
    """``value`` as a text parameter. Raises ``ValueError`` for a NUL."""
    if "\x00" in value:  # libpq reads a text parameter up to its first NUL: never cut one short
        raise ValueError("a text parameter holds a NUL character")
    return value.encode()


def _none_text(value: None) -> None:
    return None


def _bool_text(value: bool) -> bytes:
    return b"t" if value else b"f"


def _int_text(value: int) -> bytes:
    return b"%d" % value


#: Each parameter type's text format, by its exact type (a dispatch, not a
#: chain of tests: a write has nine parameters).
_TEXT_OF: dict[type, Callable[[Any], bytes | None]] = {
    str: text_param, type(None): _none_text, bool: _bool_text, int: _int_text,
}


#: Decoders of a row's text values.
Column = Callable[[bytes], object]
TEXT: Column = bytes.decode  # UTF-8: the sessions' client_encoding
#: A ``RETURNING t.task_id``.
ID_ROW: tuple[Column, ...] = (TEXT,)
#: What the hot statements that return a task select: the task's columns
#: (``TASK_COLUMNS``, in ``Task`` field order) as one JSON array, ``data``
#: inside it as stored. The server writes it in C; here it is one value and one
#: parse, where fifteen columns were fifteen values, each decoded in Python
#: (a third of the client instructions a reserve→terminate cycle spent beyond libpq).
TASK_JSON = f"json_build_array({', '.join(TASK_FIELDS)})"


def task(result: pq.abc.PGresult) -> Task | None:
    """The task of a result selected as ``TASK_JSON``; ``None`` for no row. Its
    id is read now, its other fields on first use (``task_decoded_later``)."""
    if result.ntuples == 0:
        return None
    text = result.get_value(0, 0)
    if text is None:
        raise psycopg.InterfaceError("a task selected as null")
    # The array starts with the id as a JSON string. PostgreSQL escapes a quote,
    # a backslash and a control character in it with a backslash and writes every
    # other character as itself, so an id without a backslash is the UTF-8
    # between the first two quotes.
    end = text.find(b'"', 2)
    if text.startswith(b'["') and end > 0 and text.find(b"\\", 2, end) < 0:
        return task_decoded_later(text[2:end].decode(), task_values, text)
    return task_of(task_values(text))


def task_values(text: bytes) -> list[Any]:
    """A task selected as ``TASK_JSON``, as the values ``task_of`` takes."""
    values: list[Any] = parse_json(text.decode())
    values[5] = STATUS_OF_TEXT.get(values[5]) or TaskStatus(values[5])
    return values


def execute(conn: psycopg.Connection, statement: Prepared, values: Sequence[bytes | None]) -> pq.abc.PGresult:
    """Run ``statement`` on ``conn`` (a ``DeadlineConnection``, idle, in
    autocommit); its result.

    Raises psycopg's error for an error reply, ``ServerTimeout`` (the
    connection closed) when the server does not answer within the connection's
    deadline. Any exception while the request is out (the deadline, an
    interrupt, a broken socket) closes the connection: its state is unknown,
    and the pool drops a closed connection instead of reusing it."""
    if not isinstance(conn, DeadlineConnection):
        raise TypeError("the hot statements run on the store's DeadlineConnection only")
    if statement.name not in conn.prepared:
        return _prepare_and_execute(conn, statement, values)
    pgconn = conn.pgconn
    deadline_s = conn.deadline_s
    # One blocking call (libpq sends, waits and reads, without the GIL), cut
    # by the watchdog if it overruns the deadline.
    fd = pgconn.socket
    dog = watchdog.WATCHDOG
    dog.arm(fd, math.inf if deadline_s is None else time.monotonic() + deadline_s)
    try:
        # libpq takes None as NULL; psycopg's stub for exec_prepared omits it
        # (an ignore, not a cast: typing.cast is a call, twice a task).
        result = pgconn.exec_prepared(statement.name, values)  # type: ignore[arg-type]
    except BaseException:
        fired = dog.disarm(fd)
        pgconn.finish()
        if fired:
            raise ServerTimeout(f"the server did not answer within {deadline_s:g} s") from None
        raise
    if dog.disarm(fd):
        pgconn.finish()
        raise ServerTimeout(f"the server did not answer within {deadline_s:g} s")
    if result.status == _TUPLES_OK:
        return result
    if pgconn.status == _BAD:  # the connection was lost: what psycopg raises then
        message = pgconn.error_message.decode(errors="replace").strip()
        pgconn.finish()
        raise psycopg.OperationalError(message or "the connection to the server was lost")
    return _check(conn, result, _TUPLES_OK)


def _prepare_and_execute(
    conn: DeadlineConnection, statement: Prepared, values: Sequence[bytes | None]
) -> pq.abc.PGresult:
    """A statement's first use on this session: prepared and run in one flight
    (a pipeline), so that the write is on its way whole or not at all, as a
    prepared one is."""
    pgconn = conn.pgconn
    try:
        pgconn.enter_pipeline_mode()
        pgconn.send_prepare(statement.name, statement.text)
        pgconn.send_query_prepared(statement.name, values)
        pgconn.pipeline_sync()
        prepare, result = _pipeline_results(conn, 2)
        pgconn.exit_pipeline_mode()
    except BaseException:
        pgconn.finish()
        raise
    _check(conn, prepare, _COMMAND_OK)
    conn.prepared.add(statement.name)
    return _check(conn, result, _TUPLES_OK)


def row(result: pq.abc.PGresult, columns: Sequence[Column]) -> tuple[object, ...] | None:
    """The result's first row, each value decoded by its column's decoder (``None`` as ``None``)."""
    if result.ntuples == 0:
        return None
    get = result.get_value
    return tuple([None if (value := get(0, i)) is None else decode(value) for i, decode in enumerate(columns)])


def _check(conn: psycopg.Connection, result: pq.abc.PGresult, expected: pq.ExecStatus) -> pq.abc.PGresult:
    if result.status == expected:
        return result
    if result.status == pq.ExecStatus.FATAL_ERROR:
        raise psycopg.errors.error_from_result(result, encoding=conn.info.encoding)
    if result.status == pq.ExecStatus.PIPELINE_ABORTED:  # after its prepare's error, raised first
        raise psycopg.InterfaceError("the statement was not run: its prepare failed")
    raise psycopg.InterfaceError(f"unexpected result status from the server: {pq.ExecStatus(result.status).name}")


def _pipeline_results(conn: DeadlineConnection, count: int) -> list[pq.abc.PGresult]:
    """Send what is queued in pipeline mode, then read the last result of each
    of the ``count`` requests sent, up to the pipeline's sync, waiting at most
    the connection's deadline in all."""
    pgconn = conn.pgconn
    deadline_s = conn.deadline_s
    ends = None if deadline_s is None else time.monotonic() + deadline_s
    poller = conn.poller
    buffered = False
    if pgconn.flush():  # rarely: the request did not fit in the socket's buffer
        # libpq's rule: wait until the socket can be written or read; read what came; flush again.
        fd = pgconn.socket
        poller.modify(fd, WAIT_EVENTS | select.POLLOUT)
        try:
            while pgconn.flush():
                _wait(poller, ends, deadline_s)
                pgconn.consume_input()
        finally:
            poller.modify(fd, WAIT_EVENTS)
        buffered = True  # part of the reply may be read already
    lasts: list[pq.abc.PGresult] = []
    current = None
    while True:
        if not buffered:
            # Nothing of the reply can be in libpq's buffer before its socket
            # had something to read: wait first, skip a read that would find nothing.
            _wait(poller, ends, deadline_s)
            pgconn.consume_input()
        buffered = False
        while not pgconn.is_busy():
            result = pgconn.get_result()
            if result is None:  # the end of a request's results
                if current is None:
                    raise psycopg.InterfaceError("the server sent no result for a request")
                lasts.append(current)
                current = None
                continue
            if result.status == pq.ExecStatus.PIPELINE_SYNC:
                if len(lasts) != count:
                    raise psycopg.InterfaceError(f"the server sent {len(lasts)} results for {count} requests")
                return lasts
            current = result


def _wait(poller: select.poll, ends: float | None, deadline_s: float | None) -> None:
    """Until the socket is ready; ``ServerTimeout`` once ``ends`` passes."""
    if ends is None:
        poller.poll()
        return
    left_ms = (ends - time.monotonic()) * 1000
    if left_ms <= 0 or not poller.poll(left_ms):
        raise ServerTimeout(f"the server did not answer within {deadline_s:g} s")
