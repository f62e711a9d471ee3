"""Carrying out the plans through the protocol: reserve each seeded task as a
made-up worker, then extend, terminate, fail or snooze it as planned."""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from typing import Any

from sokka_tui.demo.plans import Plan
from stores.errors import LeaseExpired, WrongOwner
from stores.model import Task


def _apply(store, task: Task, plan: Plan) -> None:
    try:
        for _ in range(plan.extends):
            store.extend_lease(task.task_id, task.pid)
        if plan.fate == "terminated":
            store.terminate(task.task_id, task.pid)
        elif plan.fate == "failed":
            store.fail(task.task_id, task.pid, plan.error)
        elif plan.fate == "snoozed":
            store.snooze(task.task_id, task.pid, plan.snooze_ms)
    except (LeaseExpired, WrongOwner):
        pass  # only on a store with a lease shorter than a few writes: the task stays running


def play(store, tasks: list[dict[str, Any]], plans: dict[str, Plan], pid_rng: random.Random,
         pids: Sequence[str]) -> list[int]:
    """Reserve each of ``tasks`` (the only reservable ones of their topics) as one of
    ``pids`` and give it its planned fate. Returns the lease ends of the reservations
    made, which follow ``store``'s lease time."""
    pending: dict[str, set[str]] = {}
    for task in tasks:
        pending.setdefault(task["topic"], set()).add(task["task_id"])
    lease_ends: list[int] = []
    for topic, ids in pending.items():
        # A few spare attempts: on a store with a very short lease a task we already
        # left running may come back; it is simply reserved again.
        for _ in range(2 * len(ids) + 2):
            if not ids:
                break
            task = store.reserve_task(topic, pid_rng.choice(pids))
            if task is None:
                break
            lease_ends.append(task.lease_expires_at)
            if task.task_id in ids:
                ids.discard(task.task_id)
                _apply(store, task, plans[task.task_id])
    return lease_ends


def wait_past(store, moment_ms: int, limit_s: float = 5.0) -> None:
    """Sleep until the store's clock is past ``moment_ms`` (at most ``limit_s``)."""
    give_up = time.monotonic() + limit_s
    while (now := store.now_ms()) <= moment_ms and time.monotonic() < give_up:
        time.sleep(min(0.05, (moment_ms - now + 1) / 1000))
