"""Bulk triage, shared by the screens: capture a selection page by page in a
worker, ask what the action needs, preview, run, and report; and the task
list's marks (``Marking``), which feed it.

The bulk modals and the run screen are imported when first used: not on the
way to the first screen, nor to the task list.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING

from rich.text import Text

from sokka_tui.actions import Action
from sokka_tui.marks import Marks
from sokka_tui.messages import StoreFailed
from sokka_tui.query import STUCK_EXPIRED, TaskQuery
from sokka_tui.render import counted, plain, safe_id
from sokka_tui.selection import matching
from stores import Store, Task, TaskStoreError

if TYPE_CHECKING:
    from sokka_tui.screens.base import StoreScreen

#: What to mark: the tasks it yields, read from the store in a worker thread.
Source = Callable[[Store], Iterable[Task]]


def capture(screen: StoreScreen, source: Source, then: Callable[[Marks], None]) -> None:
    """Mark every task ``source(store)`` yields, in a worker thread, keeping only
    ids, versions, owners and statuses; then call ``then(marks)`` on the event loop."""

    started_at = screen.app.clock.local()

    def work() -> None:
        marks = Marks()
        try:
            marks.add(source(screen.app.store))
        except TaskStoreError as exc:
            screen.post_message(StoreFailed(exc, "marking", started_at))
            return
        screen.app.call_from_thread(then, marks)

    screen.run_worker(work, thread=True, exclusive=True, group="capture", exit_on_error=False)


def run_bulk(
    screen: StoreScreen, action: Action, marks: Marks, done: Callable[[list[str] | None], None],
    headline: Text | None = None,
) -> None:
    """Ask the duration or error text if needed, preview, confirm, then run.
    ``done`` gets the ids to re-mark (the skipped ones) or ``None``. ``headline``
    names what the action is on, when not marked tasks (``BulkPreviewModal``)."""
    from sokka_tui.screens.bulk_preview import BulkPreviewModal
    from sokka_tui.screens.bulk_run import BulkRunScreen
    from sokka_tui.screens.prompt import FailModal, SnoozeModal

    if not marks:
        screen.notify("Nothing is marked.", markup=False)
        return
    subject = Text(counted(len(marks), "marked task"))

    def preview(snooze_ms: int | None = None, error: str | None = None) -> None:
        def confirmed(yes: bool | None) -> None:
            if yes:
                sent, refused = marks.by_table(action)  # the table's refusals are never sent
                screen.app.push_screen(
                    BulkRunScreen(
                        action, sent, snooze_ms=snooze_ms, error=error, leased_topic=screen.leased_topic,
                        refused=refused,
                    ),
                    done,
                )

        modal = BulkPreviewModal(action, marks, snooze_ms=snooze_ms, error=error, headline=headline)
        screen.app.push_screen(modal, confirmed)

    def snooze_for(ms: int | None) -> None:
        if ms is not None:
            preview(snooze_ms=ms)

    def fail_with(text: str | None) -> None:
        if text is not None:
            preview(error=text)

    if action == Action.SNOOZE:
        screen.app.push_screen(SnoozeModal(subject), snooze_for)
    elif action == Action.FAIL:
        screen.app.push_screen(FailModal(subject, f"failed by operator {screen.app.operator}"), fail_with)
    else:
        preview()


def revoke_expired_leases(screen: StoreScreen, topic: str | None) -> None:
    """One command: every running task of ``topic`` whose lease has ended, previewed, revoked."""
    query, now, after = TaskQuery(topic=topic, stuck=STUCK_EXPIRED), screen.app.clock.now(), screen.app.stuck_after_ms
    grace = screen.app.expiring_grace_ms  # a lease that ended within it may be finishing: not taken

    def marked(marks: Marks) -> None:
        if not marks:
            where = "anywhere" if topic is None else f"in topic {plain(topic, 60)}"
            screen.notify(f"No expired leases {where}.", markup=False)
            return
        headline = Text(f"Revoke {counted(len(marks), 'expired lease')} in ")
        headline.append_text(safe_id(topic or "every topic", 60))
        run_bulk(screen, Action.REVOKE, marks, lambda _remark: screen.tick(), headline)

    capture(screen, lambda store: matching(store, query, now, after, grace), marked)


class Marking:
    """The task list's marks and the bulk triage they feed: mark one task, mark
    every task a query matches, run an action on every marked task, mark the
    skipped ones again. ``changed()`` redraws whatever shows the marks."""

    def __init__(self, screen: StoreScreen, changed: Callable[[], None]) -> None:
        self.screen = screen
        self.marks = Marks()
        self._changed = changed

    def toggle(self, task: Task) -> None:
        """Mark ``task`` as it is now, or unmark it."""
        self.marks.toggle(task)
        self._changed()

    def mark_matching(self, query: TaskQuery) -> None:
        """Freeze every task ``query`` matches, as it is now, page by page."""
        app = self.screen.app
        now, after, grace = app.clock.now(), app.stuck_after_ms, app.expiring_grace_ms
        self._capture(
            lambda store: matching(store, query, now, after, grace),
            lambda n: f"{counted(n, 'task')} marked, frozen at the versions seen now.",
        )

    def clear(self) -> bool:
        """Unmark every task; whether any was marked."""
        if not self.marks:
            return False
        self.marks.clear()
        self._changed()
        return True

    def run(self, action: Action) -> None:
        """``action`` on every marked task (asked, previewed, confirmed); the
        marks are cleared, and the tasks skipped marked again as they are now."""
        run_bulk(self.screen, action, self.marks, self._after_bulk)

    def _after_bulk(self, remark: list[str] | None) -> None:
        self.marks.clear()
        if remark:

            def fresh(store: Store) -> Iterator[Task]:
                return (task for task in map(store.task, remark) if task is not None)

            self._capture(fresh, lambda n: f"{counted(n, 'skipped task')} marked again, at their current versions.")
        self._changed()
        self.screen.tick()

    def _capture(self, source: Source, notice: Callable[[int], str]) -> None:
        def marked(marks: Marks) -> None:
            self.marks = marks
            self._changed()
            self.screen.notify(notice(len(marks)), markup=False)

        capture(self.screen, source, marked)

    # -- how the marks show --------------------------------------------------------
    def describe(self, title: Text) -> None:
        """The count of marked tasks, on the list's title."""
        if self.marks:
            title.append(f"  {len(self.marks):,} marked", style="bold yellow")  # a state, not a count of nouns
            title.append(" (esc clears)", style="dim")

    def hint(self) -> Text | None:
        """The action line while tasks are marked (``None``: none is)."""
        if not self.marks:
            return None
        count = len(self.marks)
        hints = Text(f"Actions apply to the {counted(count, 'marked task')}", style="bold yellow")
        hints.append(" (esc clears the marks)", style="dim")
        return hints
