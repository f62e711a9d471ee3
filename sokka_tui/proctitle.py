"""Keeping passwords out of the process list (``ps``, ``/proc/<pid>/cmdline``)."""

from __future__ import annotations

from setproctitle import setproctitle

from stores.errors import redact


def hide_secrets_from_process_title(argv: list[str], prog: str) -> None:
    """Rewrite this process's command line as ``prog`` and ``argv`` with every
    password replaced by ``***``; no change when there is none. Called first
    thing by ``sokka-tui`` and ``sokka``."""
    shown = [redact(arg) for arg in argv]
    if shown != argv:
        setproctitle(" ".join([prog, *shown]))


def set_process_title(title: str) -> None:
    """What ``ps`` and ``/proc/<pid>/cmdline`` show for this process from now on:
    the demo's worker processes say what they are (``sokka-demo worker 0``)."""
    setproctitle(title)
