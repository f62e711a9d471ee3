"""Single commands on a server's pooled connections, without redis-py's
per-command machinery.

``Redis.execute_command`` wraps every command in a retry policy, event hooks
and a pool checkout under a lock; on this machine that costs about 25 us a call,
as much as a reserve's whole script on the server. The store's hot calls (one
script per write) go through ``Direct`` instead: the same connections (made by
the client's pool, so its timeouts, credentials and client name apply, and
``client.close()`` closes them), the same encoding and reply parsing, the same
exceptions.

What the pool does on a checkout is kept: a connection with something to read
before a command was sent (the server closed it while idle, or a reply nobody
read) is reconnected first. A connection whose command failed other than by an
error reply is disconnected, so a reply lost in a timeout is never read as the
answer to a later command. Nothing is retried: a script whose reply was lost
may have run.
"""

from __future__ import annotations

import os

from redis.connection import ConnectionPool
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError


class Direct:
    """Commands on connections taken from ``pool`` once and kept here between
    calls; safe for threads (``list.pop`` / ``append`` are atomic), and a forked
    child takes its own."""

    def __init__(self, pool: ConnectionPool) -> None:
        self._pool = pool
        self._idle: list = []
        self._pid = os.getpid()

    def execute(self, *command):
        """Send ``command``, return its reply. Raises what redis-py raises."""
        if self._pid != os.getpid():  # a forked child: the parent's sockets are not its own
            self._idle = []
            self._pid = os.getpid()
        try:
            conn = self._idle.pop()
        except IndexError:
            # The pool counts it in use from now on: it closes it on disconnect().
            conn = self._pool.get_connection()
        try:
            conn.connect()  # nothing to do when connected
            try:
                stale = conn.can_read()  # data before a command: a stale connection
            except (RedisConnectionError, RedisTimeoutError, OSError):
                stale = True
            if stale:
                conn.disconnect()
                conn.connect()
            conn.send_packed_command(conn.pack_command(*command), check_health=False)
            reply = conn.read_response()
        except ResponseError:
            self._idle.append(conn)  # an error reply was read whole: the connection is fine
            raise
        except BaseException:
            conn.disconnect()
            self._idle.append(conn)  # reconnects on its next use
            raise
        self._idle.append(conn)
        return reply
