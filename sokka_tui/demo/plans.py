"""What ``seed`` does to each task after creating it: its fate (a status to reach,
or "stuck"), and the lease extensions, error or snooze on the way there."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sokka_tui.demo.failures import error_text
from sokka_tui.demo.topics import DEMO_TOPICS
from sokka_tui.demo.values import Values

#: Stuck (running, lease ended) tasks seeded per topic.
STUCK_PER_TOPIC = {"reports.nightly": 3, "billing.invoices": 1, "thumbnails": 2}
#: Fates that move a task out of ``starting``; "stuck" and "starting" are the others.
MOVED_FATES = frozenset({"terminated", "failed", "snoozed", "running"})

_FATE_WEIGHTS = {"terminated": 45, "starting": 24, "running": 11, "failed": 11, "snoozed": 9}
# The first tasks of every topic get these, so every topic shows every status.
_EVERY_FATE = ("terminated", "failed", "snoozed", "running", "starting")


@dataclass(frozen=True)
class Plan:
    """What ``seed`` does to one task after creating it."""

    fate: str  # a status to reach, or "stuck" (running, lease ended)
    extends: int = 0
    error: str | None = None
    snooze_ms: int | None = None


def plan_for(values: Values, topic: str, fate: str) -> Plan:
    """A plan reaching ``fate``, with the details drawn from ``values``."""
    rng = values.rng
    if fate == "failed":
        return Plan(fate, extends=rng.choice((0, 0, 1)), error=error_text(values, topic))
    if fate == "snoozed":
        # Some wake within the demo (their countdown visibly runs out), most much later.
        seconds = rng.randint(20, 120) if rng.random() < 0.4 else rng.randint(5, 45) * 60
        return Plan(fate, snooze_ms=seconds * 1000)
    if fate in ("terminated", "running"):
        return Plan(fate, extends=rng.choice((0, 0, 0, 1, 2)))
    return Plan(fate)


def plan_fates(values: Values, tasks: list[dict[str, Any]], fixed: dict[str, Plan]) -> dict[str, Plan]:
    """A plan for every task by id: ``fixed`` ones as given, the others drawn so that
    every topic gets every status and its stuck tasks."""
    rng = values.rng
    plans = dict(fixed)
    fates, weights = list(_FATE_WEIGHTS), list(_FATE_WEIGHTS.values())
    for topic in DEMO_TOPICS:
        mine = [task for task in tasks if task["topic"] == topic and task["task_id"] not in fixed]
        rng.shuffle(mine)
        forced = [*_EVERY_FATE, *["stuck"] * STUCK_PER_TOPIC.get(topic, 0)]
        for i, task in enumerate(mine):
            fate = forced[i] if i < len(forced) else rng.choices(fates, weights)[0]
            plans[task["task_id"]] = plan_for(values, topic, fate)
    return plans
