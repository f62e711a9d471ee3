"""What a handler says became of its task (``stores.worker`` re-exports these)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Outcome:
    """What a handler says became of its task."""

    kind: Literal["ok", "failed", "snoozed"]
    error: str | None = None
    snooze_ms: int | None = None


def ok() -> Outcome:
    """The task is done: ``terminate`` it."""
    return Outcome("ok")


def failed(error: str | None = None) -> Outcome:
    """The task failed: ``fail`` it with ``error``."""
    return Outcome("failed", error=error)


def snoozed(snooze_ms: int | None = None) -> Outcome:
    """Try again later: ``snooze`` it for ``snooze_ms`` (the store's default when ``None``)."""
    return Outcome("snoozed", snooze_ms=snooze_ms)
