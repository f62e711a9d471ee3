"""A deadline for one blocking libpq call: a thread that shuts the call's
socket down once the call overruns.

The hot statements (``prepared.py``) run as one blocking ``PQexecPrepared``
each: one C call that sends, waits and reads, without the GIL, where the
non-blocking round of send, poll, read and collect cost about as much client
CPU again (measured in ``bench/README.md``). libpq's own wait inside that call
has no timeout, so this module gives it the store's deadline: ``arm`` before
the call, ``disarm`` after it. A thread looks at the armed calls every
``TICK_S``; one whose end has passed gets its socket shut down (both ways),
which makes libpq's wait return and the call fail as if the server had closed
the connection; ``disarm`` then says it fired, and the caller closes the
connection and raises ``ServerTimeout``.

The races ``deadline.py`` names are closed without a lock on the caller's
side, which arms and disarms twice a task: ``arm`` and ``disarm`` are one
dict store and one dict delete each, atomic under the GIL. The thread marks
itself firing *before* it looks again at whether a call is still armed and
overdue, and shuts the socket down only then; ``disarm`` deletes the call
*before* it looks at that mark, and when it is set waits for the thread to
finish (its lock). So either the thread no longer finds the call, or the
caller waits until the shutdown is done, and a descriptor is never shut down
after its connection was closed and the number reused. The deadline runs
from the start of the call, which for one statement is its one round trip.
The thread starts on the first ``arm`` and ends after ``IDLE_S`` with nothing
armed; a forked child starts with a watchdog of its own.
"""

from __future__ import annotations

import math
import os
import socket
import threading
import time

#: How often armed calls are looked at: a call that overruns is cut this much
#: late at most.
TICK_S = 0.05
#: The thread ends after this long with nothing armed (the next ``arm`` starts one).
IDLE_S = 2.0
#: Bound here: a program (or a test) that patches ``time.sleep`` to stop its
#: own loop must not stop this thread.
_sleep = time.sleep
_monotonic = time.monotonic


class Watchdog:
    """The calls armed in this process, by socket descriptor, and the thread that ends them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()  # the thread's, while it fires; and its start and end
        self._due: dict[int, float] = {}  # descriptor -> time.monotonic() at which it is cut
        self._fired: set[int] = set()
        self._firing = False  # set by the thread before it looks at a call to cut
        self._running = False

    def arm(self, fd: int, ends: float) -> None:
        """Cut the call on ``fd`` once ``time.monotonic()`` passes ``ends``."""
        self._due[fd] = ends
        if not self._running:
            self._start()

    def disarm(self, fd: int) -> bool:
        """The call on ``fd`` is over; whether its deadline cut it."""
        del self._due[fd]
        if self._firing:  # the thread may be shutting this socket down: let it finish first
            with self._lock:
                pass
        if self._fired and fd in self._fired:
            self._fired.discard(fd)
            return True
        return False

    def _start(self) -> None:
        with self._lock:
            if not self._running:
                self._running = True
                threading.Thread(target=self._watch, name="sokka-pg-watchdog", daemon=True).start()

    def _watch(self) -> None:
        try:
            self._watch_until_idle()  # ends idle with the flag down (under the lock)
        except BaseException:  # failed: the next ``arm`` starts a thread again
            with self._lock:
                self._running = False
            raise

    def _watch_until_idle(self) -> None:
        idle_since = _monotonic()
        while True:
            _sleep(TICK_S)
            now = _monotonic()
            with self._lock:
                if not self._due:
                    if now - idle_since < IDLE_S:
                        continue
                    # An ``arm`` that saw this thread running has stored its call
                    # before it looked: after the flag is down, look once more.
                    self._running = False
                    if not self._due:
                        return
                    self._running = True
                idle_since = now
                self._fire(now)

    def _fire(self, now: float) -> None:
        """Shut down the sockets of the calls overdue at ``now`` (the lock held)."""
        overdue = [fd for fd, ends in list(self._due.items()) if ends <= now and fd not in self._fired]
        if not overdue:
            return
        self._firing = True
        try:
            for fd in overdue:
                # Still armed and overdue now that the flag is up (see the module's doc):
                # a call disarmed since then is not cut, nor a descriptor armed again.
                if self._due.get(fd, math.inf) <= now:
                    self._fired.add(fd)
                    _shut_down(fd)
        finally:
            self._firing = False


def _shut_down(fd: int) -> None:
    """Shut the socket ``fd`` down both ways, leaving the descriptor open (libpq's)."""
    try:
        sock = socket.socket(fileno=fd)
    except OSError:  # not a socket (any more): nothing here for libpq to wake from
        return
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:  # already shut down or disconnected: libpq's call is ending anyway
        pass
    finally:
        sock.detach()


#: This process's watchdog.
WATCHDOG = Watchdog()


def _after_fork_in_child() -> None:
    # The parent's thread does not exist here, and its lock may have been held.
    global WATCHDOG
    WATCHDOG = Watchdog()


os.register_at_fork(after_in_child=_after_fork_in_child)
