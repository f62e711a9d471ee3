"""The two ways a ``sokka`` command stops short, and their exit codes.

``Refused`` (exit 1): the store, or the operator, said no: the task changed,
its status does not allow it, it is not there, the prompt was declined.
``Usage`` (exit 2): the command cannot run as given (bad arguments, a
read-only store asked to write, no terminal to confirm on).
"""

from __future__ import annotations

from stores.errors import REFUSALS  # the store's refusals: the command was understood, the store said no

EXIT_OK = 0
EXIT_REFUSED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class Refused(Exception):
    """Nothing was written, by the store's or the operator's decision (exit 1)."""


class Usage(Exception):
    """The command cannot run as given (exit 2)."""


class Interrupted(Exception):
    """Ctrl+C in the middle of a command that wrote something; the message says how far it got (exit 130)."""


__all__ = ["EXIT_INTERRUPTED", "EXIT_OK", "EXIT_REFUSED", "EXIT_USAGE", "REFUSALS", "Interrupted", "Refused", "Usage"]
