"""Every task a task-list query matches, page by page (keyset), for "mark all"
and for the stuck classes. Runs in worker threads; never loads a topic at once."""

from __future__ import annotations

from collections.abc import Iterator

from sokka_tui.leases import stuck_cutoff
from sokka_tui.query import STUCK_EXPIRED, STUCK_STARTING, STUCK_WAKE_DUE, TaskQuery
from stores import Task, TaskStatus, scroll

PAGE = 500


def matching(store, query: TaskQuery, now_ms: int, stuck_after_ms: int, grace_ms: int = 0) -> Iterator[Task]:
    """The tasks ``query`` shows, newest first for filters, soonest expiry first for
    leases (an owner's, the stuck ones). A lease that ended less than ``grace_ms``
    ago is not stuck (``sokka_tui.leases``)."""
    if query.group is not None:
        yield from store.tasks(query.group)
        return
    if query.text is not None:
        found = {}
        task = store.task(query.text)
        if task is not None:
            found[task.task_id] = task
        for member in store.tasks(query.text):
            found.setdefault(member.task_id, member)
        yield from (t for t in found.values() if query.matches(t))
        return
    if query.owner is not None:  # what the owners view counts: running, with this pid
        for task in scroll(lambda c: store.list_leased_tasks(query.topic, c), {"limit": PAGE}):
            if task.status == TaskStatus.RUNNING and task.pid == query.owner:
                yield task
        return
    if query.stuck in (STUCK_EXPIRED, STUCK_WAKE_DUE):
        wanted = TaskStatus.RUNNING if query.stuck == STUCK_EXPIRED else TaskStatus.SNOOZED
        for task in scroll(lambda c: store.list_leased_tasks(query.topic, c), {"limit": PAGE}):
            if task.lease_expires_at is None or task.lease_expires_at > stuck_cutoff(now_ms, grace_ms):
                return  # soonest first: everything after this is still live
            if task.status == wanted and query.matches(task):
                yield task
        return
    yield from scroll(lambda c: store.list_tasks(list_filters(query, now_ms, stuck_after_ms), c), {"limit": PAGE})


def list_filters(query: TaskQuery, now_ms: int, stuck_after_ms: int) -> dict:
    """``list_tasks`` filters for ``query``; "starting too long" is a bound on ``updated_at``."""
    filters = query.filters()
    if query.stuck == STUCK_STARTING:
        filters["status"] = TaskStatus.STARTING
        bound = now_ms - stuck_after_ms
        filters["to_ms"] = min(bound, filters["to_ms"]) if "to_ms" in filters else bound
    return filters
