"""Single commands on a server's pooled connections, without redis-py's
per-command machinery.

``Redis.execute_command`` wraps every command in a retry policy, event hooks
and a pool checkout under a lock, and its connection reads a reply through
several layers (parser, push-message and maintenance hooks, health checks).
On this machine a reserve→terminate cycle spent about 60 µs of client CPU in
them and in the store's own Python, against 80-105 µs for the whole cycle from
a bare socket loop (``python -m bench.floors``). The store's hot calls (one
script per write) go through ``Direct`` instead: connections made by the
client's pool (so its handshake, credentials, TLS, database, client name and
socket timeouts apply, and ``client.close()`` closes them), the command packed
by hiredis and written to the connection's socket, the reply read with a
hiredis reader of the same encoding, and error replies turned into redis-py's
exception classes by redis-py's own table.

What the pool does on a checkout is kept: a connection with something to read
before a command was sent (the server closed it while idle, or a reply nobody
read) is reconnected first. A connection whose command failed other than by an
error reply is disconnected, so a reply lost in a timeout is never read as the
answer to a later command. Nothing is retried: a script whose reply was lost
may have run.
"""

from __future__ import annotations

import os
import select
import socket
import struct
import sys
import weakref
from typing import Any

import hiredis
from redis._parsers import BaseParser
from redis.connection import AbstractConnection, ConnectionPool
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import InvalidResponse, ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.typing import EncodableT

_READ_SIZE = 65_536
#: Where ``struct timeval`` packs as two C longs (both 64-bit little-endian
#: platforms; Windows takes a DWORD of ms instead, and keeps Python's timeout).
_KERNEL_TIMEOUTS = sys.platform in ("linux", "darwin")


def _kernel_timeout(sock: socket.socket) -> None:
    """Move a plain socket's timeout into the kernel (``SO_RCVTIMEO`` and
    ``SO_SNDTIMEO``) and make it blocking: with a Python timeout, every send
    and receive is a ``poll`` and then the call, four system calls more per
    reserve→terminate cycle (about 1 µs of client CPU). A send or receive that
    waits longer than the timeout then fails with ``EAGAIN`` (``BlockingIOError``),
    which ``Direct.send`` raises as redis-py's timeout, as before. TLS sockets
    keep Python's timeout: OpenSSL would report that wait as a want-read."""
    timeout = sock.gettimeout()
    if not _KERNEL_TIMEOUTS or type(sock) is not socket.socket or not timeout:
        return
    micros = max(1, round(timeout * 1_000_000))
    value = struct.pack("ll", micros // 1_000_000, micros % 1_000_000)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, value)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, value)
    sock.settimeout(None)


class _Wire:
    """A connected socket of a pooled connection, with its reply reader."""

    __slots__ = ("poller", "reader", "sock")

    def __init__(self, sock: socket.socket, reader: hiredis.Reader) -> None:
        self.sock = sock
        self.reader = reader
        self.poller = select.poll()
        self.poller.register(sock, select.POLLIN)


class _Line:
    """One pooled connection, with its own reply reader."""

    __slots__ = ("buffer", "conn", "wire")

    def __init__(self, conn: AbstractConnection) -> None:
        self.conn = conn
        self.wire: _Wire | None = None
        self.buffer = bytearray(_READ_SIZE)

    def open(self) -> _Wire:
        """Connect (redis-py's handshake) and start a fresh reader on the socket."""
        conn = self.conn
        conn.connect()  # type: ignore[no-untyped-call, unused-ignore]  # (redis-py: untyped) nothing to do when connected
        sock = conn._sock
        if sock is None:  # connect() raises instead
            raise RedisConnectionError("The connection has no socket after connecting.")
        _kernel_timeout(sock)
        encoder = conn.encoder
        reader = hiredis.Reader(
            protocolError=InvalidResponse,
            replyError=BaseParser.parse_error,
            encoding=encoder.encoding if encoder.decode_responses else None,
            errors=encoder.encoding_errors,
        )
        self.wire = _Wire(sock, reader)
        return self.wire

    def close(self) -> None:
        self.conn.disconnect()  # type: ignore[no-untyped-call, unused-ignore]  # redis-py leaves it untyped
        self.wire = None


def checkout(pool: ConnectionPool) -> AbstractConnection:
    """A connection from ``pool``: redis-py before 5.3 wants a command name
    (which it ignores), later ones warn when given one."""
    try:
        return pool.get_connection()
    except TypeError:
        return pool.get_connection("EVALSHA")


#: Every ``Direct`` of this process, for ``_forked``.
_EVERY: weakref.WeakSet[Direct] = weakref.WeakSet()


def _forked() -> None:
    """In a forked child: the parent's sockets are not its own. (A hook, not a
    ``getpid`` per command: that was a system call on every write.)"""
    for direct in list(_EVERY):
        direct._idle = []


if hasattr(os, "register_at_fork"):  # not on Windows, which cannot fork
    os.register_at_fork(after_in_child=_forked)


class Direct:
    """Commands on connections taken from ``pool`` once and kept here between
    calls; safe for threads (``list.pop`` / ``append`` are atomic), and a forked
    child takes its own."""

    def __init__(self, pool: ConnectionPool) -> None:
        self._pool = pool
        self._idle: list[_Line] = []
        _EVERY.add(self)

    def execute(self, *command: EncodableT) -> Any:
        """Send ``command``, return its reply. Raises what redis-py raises."""
        # hiredis's stub types the argument as a tuple of one element; it takes any number.
        return self.send(hiredis.pack_command(command))  # type: ignore[arg-type]

    def send(self, packed: bytes) -> Any:
        """``execute`` of a command packed already (``hiredis.pack_command``): its
        reply, a script's of any shape. Raises what redis-py raises."""
        try:
            line = self._idle.pop()
        except IndexError:
            # The pool counts it in use from now on: it closes it on disconnect().
            line = _Line(checkout(self._pool))
        # The command, inline (not a method of _Line): one frame less on every
        # write, which the store's reserve→terminate cycle makes twice.
        try:
            wire = line.wire
            if wire is None or line.conn._sock is not wire.sock:
                wire = line.open()
            elif wire.poller.poll(0):  # data or EOF before a command: a stale connection
                line.close()
                wire = line.open()
            sock, reader, buffer = wire.sock, wire.reader, line.buffer
            try:
                sock.sendall(packed)
                while (reply := reader.gets()) is False:
                    read = sock.recv_into(buffer)
                    if not read:
                        raise RedisConnectionError("Connection closed by server.")
                    # hiredis's stub allows only str | bytes; it reads any buffer, here a part of one.
                    reader.feed(buffer, 0, read)  # type: ignore[arg-type]
            except (TimeoutError, BlockingIOError):  # BlockingIOError: the kernel's timeout (_kernel_timeout)
                raise RedisTimeoutError("Timeout reading from socket") from None
            except OSError as exc:
                raise RedisConnectionError(f"Error while talking to Redis: {exc}") from exc
        except BaseException:
            line.close()
            self._idle.append(line)  # reconnects on its next use
            raise
        self._idle.append(line)
        if isinstance(reply, ResponseError):
            raise reply  # an error reply was read whole: the connection is fine
        return reply
