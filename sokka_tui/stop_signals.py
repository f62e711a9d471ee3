"""Stopping the console from outside the way ``q`` does.

``SIGTERM`` (``kill``, a service manager), ``SIGHUP`` (the terminal window
closed) and ``SIGINT`` (``kill -INT``; the ``ctrl+c`` key is a key press in the
console, not a signal) make the app exit as ``q`` does: Textual restores the
terminal (main screen, mouse reporting off, cursor shown), the store is closed,
and ``sokka-tui demo`` stops its workers and removes its temporary store.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Callable, Iterator

#: The signals that end the console as ``q`` does.
STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)


def exit_on_stop_signals(exit_app: Callable[[], object]) -> None:
    """Call ``exit_app`` on the running event loop when a stop signal arrives.
    Only in the main thread of a real terminal app (call it from ``on_mount``).
    ``clean_up_uninterrupted`` puts the caller's handlers back afterwards."""
    loop = asyncio.get_running_loop()
    for number in STOP_SIGNALS:
        if number == signal.SIGHUP:
            continue
        # Not in the main thread (tests), or no signals on this platform: nothing to do.
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(number, exit_app)

    def hung_up(number: int, frame: object) -> None:
        # The kernel follows a hangup with SIGCONT, on which Textual resumes into
        # the terminal (a new writer thread on a dead tty): the exit then waits for
        # it forever. Python runs the handlers of pending signals in order, so
        # SIGCONT, handled after this, finds its handler gone.
        signal.signal(signal.SIGCONT, signal.SIG_DFL)
        loop.call_soon_threadsafe(exit_app)

    with contextlib.suppress(ValueError):  # not the main thread
        signal.signal(signal.SIGHUP, hung_up)


@contextlib.contextmanager
def clean_up_uninterrupted() -> Iterator[Callable[[], None]]:
    """Around the console's run and its clean-up. Until the console takes them
    over (``exit_on_stop_signals``), a stop signal unwinds at once (SystemExit),
    so the ``with`` blocks inside still clean up. Yields ``ignore``, to call once
    the console has exited: from then on a second signal cannot cut the clean-up
    short (stopping the demo's workers, removing its store), which is bounded
    (the fleet stops within seconds). On leaving, every stop signal gets back
    the handler it had, so a caller (a test calling ``main``) keeps its own."""
    saved = {number: signal.getsignal(number) for number in STOP_SIGNALS}

    def stop_now(number: int, frame: object) -> None:
        # Before the console runs (seeding, starting the workers): unwind, so the
        # clean-up around the caller's ``with`` blocks still happens.
        raise SystemExit(0)

    for number in STOP_SIGNALS:
        with contextlib.suppress(ValueError):  # not the main thread
            signal.signal(number, stop_now)

    def ignore() -> None:
        for number in STOP_SIGNALS:
            with contextlib.suppress(ValueError):  # not the main thread
                signal.signal(number, signal.SIG_IGN)

    try:
        yield ignore
    finally:
        for number, handler in saved.items():
            if handler is not None:  # None: set from outside Python, cannot be put back
                with contextlib.suppress(ValueError):
                    signal.signal(number, handler)
