"""Messages that carry store results from worker threads back to the UI.

Named in the past tense; posted with ``post_message`` (thread-safe) by the
loaders, handled on the event loop.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual.message import Message

from sokka_tui.actions import Request
from sokka_tui.leases import LeaseSnapshot
from sokka_tui.settle import UNTIMED, Attempt, Settlement
from stores import Task, TaskStoreError, TopicPause
from stores.bulk import BulkResult


@dataclass
class DataLoaded(Message):
    """A screen's refresh finished: its own payload and, if shown, the leased tasks."""

    payload: Any
    leased: LeaseSnapshot | None
    #: The paused topics at the refresh (``None``: not read by this screen).
    paused: list[TopicPause] | None = None
    bubble = False


@dataclass
class StoreFailed(Message):
    """A store call failed; ``what`` says which; ``started_at``: when the failed
    attempt began (local clock, epoch ms), when known."""

    error: TaskStoreError
    what: str
    started_at: int | None = None
    bubble = False


@dataclass
class StoreReset(Message):
    """The store's identity is gone or another (``IdentityWatch``): ``message`` says so."""

    message: str


@dataclass
class ActionFinished(Message):
    """An operator action came back: ``result`` when written, else ``error`` and the
    task ``now``; ``attempt`` says when it was sent and when its answer was given up on."""

    request: Request
    result: Task | None = None
    error: TaskStoreError | None = None
    now: Task | None = None
    attempt: Attempt = UNTIMED
    bubble = False


@dataclass
class TopicActionFinished(Message):
    """A pause or resume of ``topic`` came back: ``pause`` (the pause made, or
    lifted; ``None`` for a resume of a topic that was not paused) or ``error``."""

    topic: str
    action: str
    pause: TopicPause | None = None
    error: TaskStoreError | None = None
    bubble = False


@dataclass
class ActionSettled(Message):
    """An action whose answer was lost has been checked: applied or not."""

    settlement: Settlement


@dataclass
class BulkSettled(Message):
    """The tasks of bulk run ``batch_id`` whose outcome was unknown have been checked."""

    batch_id: str
    results: list[BulkResult]
