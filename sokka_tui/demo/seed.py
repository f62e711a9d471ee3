"""Seeding an empty store with the demo, through the protocol.

A few hundred tasks an operator would recognise, moved into every status by
reserving them as made-up workers; a few are left ``running`` under a lease that
has already ended ("stuck"). Those are reserved through a second handle on the
same store whose lease is a fraction of a second, so no handle's settings are
ever changed behind its back.
"""

from __future__ import annotations

import random
from typing import Any

from sokka_tui.demo.hostile import hostile_tasks
from sokka_tui.demo.plans import MOVED_FATES, Plan, plan_fates
from sokka_tui.demo.reservations import play, wait_past
from sokka_tui.demo.shared_url import require_shared_url
from sokka_tui.demo.tasks import nightly_tasks, order_tasks, reindex_tasks, signup_tasks, single_task
from sokka_tui.demo.topics import DEMO_TOPICS
from sokka_tui.demo.values import Values
from stores.protocol import DEFAULT_LEASE_TIME_MS, DEFAULT_NAMESPACE
from stores.registry import open_store

#: Owners of the seeded leases: live-looking workers, and ones that "died".
SEED_WORKER_PIDS = (
    "worker-a1:4242",
    "worker-a2:4318",
    "worker-b7:31337",
    "ip-10-0-3-17:9012",
    "billing-worker-2:18811",
    "thumbs-gpu-0:7777",
)
DEAD_WORKER_PIDS = ("worker-c3:5150", "ip-10-0-7-44:2071", "reports-cron-1:993")

#: The lease of the handle that reserves the stuck tasks: short enough to end
#: before ``seed`` returns, long enough that they are all reserved before the
#: first one ends (else a stuck task would come back and be reserved again).
STUCK_LEASE_MS = 150


def demo_tasks(values: Values) -> tuple[list[dict[str, Any]], dict[str, Plan]]:
    """Every seeded task in creation order, and the fixed plans of the hostile ones."""
    rng = values.rng
    tasks: list[dict[str, Any]] = []
    number = rng.randint(10_000, 12_000)
    for _ in range(32):
        number += rng.randint(1, 40)
        tasks += order_tasks(values, number)
    for _ in range(14):
        tasks += signup_tasks(values)
    tasks += reindex_tasks(values)
    tasks += nightly_tasks(values)
    for topic in DEMO_TOPICS:
        extra = 14 if topic == "reports.nightly" else 0
        tasks += [single_task(values, topic) for _ in range(rng.randint(12, 20) + extra)]
    fixed: dict[str, Plan] = {}
    for task, plan in hostile_tasks(values):
        tasks.append(task)
        fixed[task["task_id"]] = plan
    return tasks, fixed


def seed(
    url: str,
    *,
    namespace: str = DEFAULT_NAMESPACE,
    lease_time_ms: int = DEFAULT_LEASE_TIME_MS,
    seed: int = 7,
    now_ms: int | None = None,
) -> int:
    """Fill the empty store at ``url`` (in ``namespace``) with the demo: 300 to 360
    tasks in six topics, in every status, with groups spanning topics, and a few
    ``running`` tasks whose lease has ended. Returns the number of tasks created.

    The leases of the tasks left ``running`` (and extended) last ``lease_time_ms``,
    as a fleet opened with the same lease would give; the stuck ones got
    ``STUCK_LEASE_MS`` and have ended by the time ``seed`` returns (it waits a
    fraction of a second for that). Opens its own handles on the store and closes
    them; run it before anything else uses the store, since each reservation must
    find only the tasks meant for it.

    The same ``seed`` gives the same task ids, topics and statuses; with the same
    ``now_ms`` too (default: the store's clock), the same groups, descriptions,
    data and errors, whose dates are relative to it. Which seeded worker pid holds
    which lease follows the store's reservation order.

    Raises ``ValueError`` for ``sqlite://:memory:`` (a second handle on it would
    be another, empty database) and when the store already has tasks;
    ``InvalidArgument`` for a URL or option no store takes; and what the store
    raises (``StoreUnavailable``, ``ReadOnlyStore``).
    """
    require_shared_url(url, "seed()")
    with open_store(url, namespace=namespace, lease_time_ms=lease_time_ms) as store:
        if store.topics():
            raise ValueError("seed() fills an empty store, and this one already has tasks.")
        values = Values(random.Random(seed), store.now_ms() if now_ms is None else now_ms)
        pid_rng = random.Random(f"{seed}:pids")
        tasks, fixed = demo_tasks(values)
        plans = plan_fates(values, tasks, fixed)

        def with_fate(*fates: str) -> list[dict[str, Any]]:
            return [task for task in tasks if plans[task["task_id"]].fate in fates]

        # Tasks are created in three waves so that each reservation below can only
        # take a task meant for it: first everything that moves, then the stuck ones,
        # then the ones left waiting.
        moved = with_fate(*MOVED_FATES)
        store.create_tasks(moved)
        play(store, moved, plans, pid_rng, SEED_WORKER_PIDS)
        stuck = with_fate("stuck")
        store.create_tasks(stuck)
        with open_store(url, namespace=namespace, lease_time_ms=STUCK_LEASE_MS) as short_lease:
            stuck_until = play(short_lease, stuck, plans, pid_rng, DEAD_WORKER_PIDS)
        store.create_tasks(with_fate("starting"))
        if stuck_until:
            wait_past(store, max(stuck_until))
    return len(tasks)
