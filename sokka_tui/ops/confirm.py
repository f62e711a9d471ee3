"""Asking before a write: on stderr, answered on a terminal; ``--yes`` skips it."""

from __future__ import annotations

import sys

from sokka_tui.ops.errors import Refused, Usage


def can_prompt() -> bool:
    """Whether someone can answer: stdin is a terminal."""
    stdin = sys.stdin
    return stdin is not None and not stdin.closed and stdin.isatty()


def check_can_confirm(yes: bool) -> None:
    """Before connecting: a write needs ``--yes`` or a terminal to ask on. Raises ``Usage``."""
    if not yes and not can_prompt():
        raise Usage("stdin is not a terminal, so this write cannot be confirmed: add --yes")


def confirm(question: str, yes: bool) -> None:
    """Ask ``question [y/N]`` on stderr unless ``yes``; raises ``Refused`` unless answered y/yes."""
    if yes:
        return
    print(f"{question} [y/N] ", end="", file=sys.stderr, flush=True)
    try:
        answer = sys.stdin.readline()
    except KeyboardInterrupt:
        answer = ""
    if answer.strip().lower() not in ("y", "yes"):
        if not answer.endswith("\n"):
            print(file=sys.stderr)
        raise Refused("not confirmed; nothing was written")
