"""Telling a wiped store from an empty one, while the console runs.

A Redis restarted without persistence comes back empty and answers as if
nothing had happened: without this, the console would say "0 topics" and
"Reconnected". ``IdentityWatch`` remembers the namespace's identity
(``Store.identity()``: a random id written with its schema marker) as first
seen, reads it again after every refresh's reads (in the refresh's worker
thread, so no store call runs on the event loop; one key or row, well under a
millisecond), and says once, loudly, when it is gone or another.

Read after the refresh, not before: when it is unchanged then, the refresh's
data came from the store the console has been showing, so the count of tasks
it last showed is a count of that store's tasks. No Textual here: it is
unit-tested alone.
"""

from __future__ import annotations

import threading

from sokka_tui.render import counted
from sokka_tui.timezones import UTC, Zone
from stores import Store, StoreIdentity


class IdentityWatch:
    """The identity a console first saw, and whether the store still has it. Thread-safe."""

    def __init__(self, zone: Zone = UTC) -> None:
        #: Where the message's times are shown.
        self.zone = zone
        self._lock = threading.Lock()
        self._seen: StoreIdentity | None = None
        self._reported = False
        #: Tasks the console last showed in the whole store (the topics' counts), if known.
        self.tasks_shown: int | None = None

    @property
    def identity(self) -> StoreIdentity | None:
        return self._seen

    def check(self, store: Store) -> str | None:
        """Read the identity (call from a worker thread, after the refresh's
        reads): the reset message the first time it is found gone or changed,
        else ``None``. Raises what ``store.identity()`` raises (``StoreUnavailable``)."""
        if self._reported:
            return None  # said once; nothing more to learn
        return self.observe(store.identity())

    def observe(self, now: StoreIdentity | None) -> str | None:
        """Compare ``now`` with the identity first seen: the message to show when
        the store was reset (once), else ``None``. A namespace that had no
        identity (made by an older version, opened read-only) gets its first one
        here: that is not a reset."""
        with self._lock:
            if self._reported:
                return None
            if self._seen is None:
                self._seen = now
                return None
            if now == self._seen:
                return None
            self._reported = True
            return reset_message(self._seen, now, self.tasks_shown, self.zone)


def reset_message(
    before: StoreIdentity, now: StoreIdentity | None, tasks_shown: int | None, zone: Zone = UTC
) -> str:
    """One sentence: the store was reset, how we know, and what is lost (times in ``zone``)."""
    if now is None:
        how = "its namespace marker is gone"
    else:
        how = f"it has another identity (made {zone.format(now.created_at, millis=False)}; this console opened " \
              f"one made {zone.format(before.created_at, millis=False)})"
    lost = "" if not tasks_shown else \
        f"; {counted(tasks_shown, 'task')} shown before {'is' if tasks_shown == 1 else 'are'} not in it"
    return f"The store was reset: {how}{lost}."
