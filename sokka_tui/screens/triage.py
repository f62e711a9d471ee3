"""The bulk-triage flow shared by the screens: capture a selection page by page
in a worker, ask what the action needs, preview, run, and report."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from rich.text import Text

from sokka_tui.actions import Action
from sokka_tui.marks import Marks
from sokka_tui.messages import StoreFailed
from sokka_tui.screens.bulk_preview import BulkPreviewModal
from sokka_tui.screens.bulk_run import BulkRunScreen
from sokka_tui.screens.prompt import FailModal, SnoozeModal
from stores import Task, TaskStoreError


def capture(screen, source: Callable[[object], Iterator[Task]], then: Callable[[Marks], None]) -> None:
    """Mark every task ``source(store)`` yields, in a worker thread, keeping only
    ids, versions, owners and statuses; then call ``then(marks)`` on the event loop."""

    def work() -> None:
        marks = Marks()
        try:
            marks.add(source(screen.app.store))
        except TaskStoreError as exc:
            screen.post_message(StoreFailed(exc, "marking"))
            return
        screen.app.call_from_thread(then, marks)

    screen.run_worker(work, thread=True, exclusive=True, group="capture", exit_on_error=False)


def run_bulk(screen, action: Action, marks: Marks, done: Callable[[list[str] | None], None]) -> None:
    """Ask the duration or error text if needed, preview, confirm, then run.
    ``done`` gets the ids to re-mark (the skipped ones) or ``None``."""
    if not marks:
        screen.notify("Nothing is marked.", markup=False)
        return
    subject = Text(f"{len(marks):,} marked task{'' if len(marks) == 1 else 's'}")

    def preview(snooze_ms: int | None = None, error: str | None = None) -> None:
        def confirmed(yes: bool | None) -> None:
            if yes:
                screen.app.push_screen(
                    BulkRunScreen(action, marks.items(), snooze_ms=snooze_ms, error=error), done
                )

        screen.app.push_screen(BulkPreviewModal(action, marks, snooze_ms=snooze_ms, error=error), confirmed)

    if action == Action.SNOOZE:
        screen.app.push_screen(SnoozeModal(subject), lambda ms: ms is not None and preview(snooze_ms=ms))
    elif action == Action.FAIL:
        screen.app.push_screen(
            FailModal(subject, f"failed by operator {screen.app.operator}"),
            lambda text: text is not None and preview(error=text),
        )
    else:
        preview()


def revoke_expired_leases(screen, topic: str | None) -> None:
    """One command: every running task of ``topic`` whose lease has ended, previewed, revoked."""
    from sokka_tui.query import STUCK_EXPIRED, TaskQuery
    from sokka_tui.selection import matching

    query, now = TaskQuery(topic=topic, stuck=STUCK_EXPIRED), screen.app.clock.now()

    def marked(marks: Marks) -> None:
        if not marks:
            screen.notify("No expired leases here.", markup=False)
            return
        run_bulk(screen, Action.REVOKE, marks, lambda _remark: screen.tick())

    capture(screen, lambda store: matching(store, query, now, screen.app.stuck_after_ms), marked)
