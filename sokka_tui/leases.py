"""What a lease's state is, one definition for the whole console, and the
leases one refresh reads.

A lease that ended less than the grace ago (by the store's clock) is
``expiring``: its worker may be finishing right now, so it is not called
stuck, not counted as stuck, not offered to ``X`` and not in the stuck
classes. Only once it ended the grace or more ago is it ``STUCK`` (a running
task) or ``WAKE DUE`` (a snoozed one). A grace of 0 turns this off.

``read_leases`` is the leased half of one refresh: the panel's rows and the
stuck counts, both at the refresh's one store-clock ``now``, so every number
on screen comes from the same moment.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum

from stores import Page, Task, TaskStatus, TopicStats

DEFAULT_GRACE_MS = 2_000
#: The most the grace may be (``--expiring-grace``): longer is a lease setting, not a grace.
MAX_GRACE_MS = 5 * 60_000
#: The leased panel's rows: the first page, soonest expiry first.
LEASED_PAGE = 200
#: Ended leases counted one by one, at most, per refresh; beyond, the store's own counts.
SCAN_LIMIT = 2_000
_SCAN_PAGE = 500


class LeaseState(StrEnum):
    LIVE = "live"
    #: Running; the lease ended less than the grace ago.
    EXPIRING = "expiring"
    #: Running; the lease ended the grace or more ago.
    STUCK = "stuck"
    #: Snoozed; the wake time passed less than the grace ago.
    WAKING = "waking"
    #: Snoozed; the wake time passed the grace or more ago and no worker took it.
    WAKE_DUE = "wake due"


def lease_state(task: Task, now_ms: int, grace_ms: int) -> LeaseState | None:
    """The state of ``task``'s lease (or snooze) at ``now_ms``; ``None`` without one."""
    if task.lease_expires_at is None or task.status not in (TaskStatus.RUNNING, TaskStatus.SNOOZED):
        return None
    snoozed = task.status == TaskStatus.SNOOZED
    if task.lease_expires_at > now_ms:
        return LeaseState.LIVE
    if task.lease_expires_at > stuck_cutoff(now_ms, grace_ms):
        return LeaseState.WAKING if snoozed else LeaseState.EXPIRING
    return LeaseState.WAKE_DUE if snoozed else LeaseState.STUCK


def stuck_cutoff(now_ms: int, grace_ms: int) -> int:
    """A lease that ended at or before this moment is stuck (or its wake due)."""
    return now_ms - max(0, grace_ms)


@dataclass(frozen=True)
class LeaseSnapshot:
    """The leased tasks as one refresh read them, at the store's time ``now_ms``.

    ``page`` is the panel's rows; ``stuck`` and ``expiring`` count, per topic,
    the running tasks in each state (every one of them, not only the page's).
    ``local_ms`` is the local clock when ``now_ms`` was measured, so the
    countdowns can go on between refreshes."""

    now_ms: int
    local_ms: int
    grace_ms: int
    page: Page[Task]
    stuck: Counter[str] = field(default_factory=Counter)
    expiring: Counter[str] = field(default_factory=Counter)

    @property
    def stuck_total(self) -> int:
        return sum(self.stuck.values())

    @property
    def expiring_total(self) -> int:
        return sum(self.expiring.values())


def read_leases(
    store, topic: str | None, now_ms: int, local_ms: int, grace_ms: int, stats: list[TopicStats] | None = None
) -> LeaseSnapshot:
    """The leased tasks of ``topic`` (``None``: every topic) at ``now_ms`` (runs in
    a worker thread). Pages on past the panel's rows while leases there had
    ended, to count them all, up to ``SCAN_LIMIT``; beyond it (a backlog of
    thousands) the stuck counts are the store's own (``stats``, else
    ``store.topics()``), less the expiring ones seen."""
    page = store.list_leased_tasks(topic, {"limit": LEASED_PAGE})
    stuck: Counter[str] = Counter()
    expiring: Counter[str] = Counter()

    def tally(tasks: list[Task]) -> None:
        for task in tasks:
            state = lease_state(task, now_ms, grace_ms)
            if state == LeaseState.STUCK:
                stuck[task.topic] += 1
            elif state == LeaseState.EXPIRING:
                expiring[task.topic] += 1

    def ended(last: Page[Task]) -> bool:
        """Whether leases after this page may have ended too."""
        return last.cursor is not None and bool(last.data) and (last.data[-1].lease_expires_at or 0) <= now_ms

    tally(page.data)
    last, scanned = page, len(page.data)
    while ended(last) and scanned < SCAN_LIMIT:
        assert last.cursor is not None
        last = store.list_leased_tasks(topic, {**last.cursor, "limit": _SCAN_PAGE})
        tally(last.data)
        scanned += len(last.data)
    if ended(last):
        for stat in stats if stats is not None else store.topics():
            if topic is None or stat.topic == topic:
                stuck[stat.topic] = max(stuck[stat.topic], stat.expired_leases - expiring[stat.topic])
    return LeaseSnapshot(now_ms, local_ms, grace_ms, page, +stuck, +expiring)
