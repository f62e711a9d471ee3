"""The fleet's pauses: now and then the producer process pauses one served topic,
as an operator would during a downstream outage, so the console shows a
PAUSED topic, its workers idling, and the pause in the audit trail.

Every pause has an end (a timed pause ends by itself, on the store's clock),
so a demo stopped mid-pause never leaves a topic paused for good; half of them
are resumed early, explicitly.
"""

from __future__ import annotations

import contextlib
import random
import threading
import time
from collections.abc import Callable, Sequence

from stores.errors import TaskStoreError

REASONS = (
    "downstream API maintenance window",
    "vendor rate limit: backing off",
    "deploy in progress (demo)",
    "investigating duplicate sends",
)


def _pause_now_and_then(
    store, topics: Sequence[str], every_s: tuple[float, float], for_s: tuple[float, float], rng: random.Random
) -> None:
    while True:
        time.sleep(rng.uniform(*every_s))
        topic = rng.choice(list(topics))
        hold_s = rng.uniform(*for_s)
        early = rng.random() < 0.5  # resumed by hand after hold_s, else it ends by itself then
        with contextlib.suppress(TaskStoreError):  # a busy store only costs this pause
            store.pause_topic(topic, for_ms=int(hold_s * (2000 if early else 1000)), reason=rng.choice(REASONS))
            if early:
                time.sleep(hold_s)
                store.resume_topic(topic)


def start_pauser(
    store, topics: Sequence[str], *, every_s: tuple[float, float], for_s: tuple[float, float]
) -> Callable[[], bool]:
    """Start the pausing thread: a pause of one of ``topics`` every ``every_s``
    seconds, lasting ``for_s`` seconds; returns a check that it is still running."""
    thread = threading.Thread(
        target=_pause_now_and_then, args=(store, tuple(topics), every_s, for_s, random.Random()),
        name="sokka-demo-pauser", daemon=True,
    )
    thread.start()
    return thread.is_alive
