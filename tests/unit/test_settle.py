"""What the console says of an action whose answer was lost, once it knows: when
the store recorded it against when the connection was lost (pure: real Task and
AuditEntry values, no store)."""

from __future__ import annotations

from sokka_tui.actions import Action, Request
from sokka_tui.render import absolute
from sokka_tui.settle import Attempt, Settlement
from stores import TaskStatus
from stores.audit import AuditEntry
from tests.unit.values import AT, make_task

SEEN = make_task("job-1", status=TaskStatus.RUNNING, pid="w1", record_ver=3, lease_expires_at=AT + 60_000)
AFTER = make_task("job-1", status=TaskStatus.STARTING, record_ver=4, updated_at=AT + 12_356)
REQUEST = Request(Action.REVOKE, SEEN)


def record(at: int) -> AuditEntry:
    return AuditEntry(
        audit_id="1", at=at, user="ops", host="console-host", tool="sokka-tui", action="revoke",
        task_id="job-1", topic="emails", status_before=TaskStatus.RUNNING, status_after=TaskStatus.STARTING,
        record_ver_before=3, record_ver_after=4, detail="", batch_id=None,
    )


def applied(at: int, attempt: Attempt) -> str:
    return Settlement(REQUEST, True, AFTER, record(at), attempt).message()


def test_recorded_after_the_connection_was_lost_says_so():
    """A revoke sent while the server was stopped, written when it resumed 12 s later."""
    sent, lost, written = AT, AT + 1_000, AT + 12_356
    message = applied(written, Attempt(sent_at=sent, lost_at=lost))
    assert "before the connection broke" not in message
    assert message == (
        f"Revoke the lease of job-1 (sent at v3) WAS APPLIED (the store recorded it at {absolute(written)}, "
        "12s after it was sent, after the connection was lost; v3→v4); now starting, v4."
    )


def test_recorded_while_the_console_still_waited_is_before_the_connection_broke():
    """The write ran at once and its answer was lost on the way back."""
    sent, written, lost = AT, AT + 3, AT + 1_000
    message = applied(written, Attempt(sent_at=sent, lost_at=lost))
    assert message == (
        f"Revoke the lease of job-1 (sent at v3) WAS APPLIED before the connection broke: recorded at "
        f"{absolute(written)} (v3→v4); now starting, v4."
    )


def test_recorded_at_the_very_moment_it_was_given_up_on_is_not_after():
    assert "before the connection broke" in applied(AT + 1_000, Attempt(sent_at=AT, lost_at=AT + 1_000))
    assert "after the connection was lost" in applied(AT + 1_001, Attempt(sent_at=AT, lost_at=AT + 1_000))


def test_without_the_attempts_times_no_claim_is_made():
    for attempt in (Attempt(), Attempt(sent_at=AT)):
        message = applied(AT + 5_000, attempt)
        assert "before" not in message and "after" not in message
        assert message.startswith("Revoke the lease of job-1 (sent at v3) WAS APPLIED: the store recorded it at ")


def test_without_a_send_time_the_lateness_is_left_out():
    message = applied(AT + 9_000, Attempt(lost_at=AT + 1_000))
    assert f"(the store recorded it at {absolute(AT + 9_000)}, after the connection was lost; v3→v4)" in message


def test_not_applied_messages_are_unchanged():
    unchanged = Settlement(REQUEST, False, SEEN, attempt=Attempt(AT, AT + 1_000)).message()
    assert unchanged == (
        "Revoke the lease of job-1 (sent at v3) was NOT applied: the task is unchanged (now running, v3). "
        "Nothing was written; you can try again."
    )
    changed = Settlement(REQUEST, False, AFTER).message()
    assert changed.endswith("was NOT applied: the task was changed by something else (now starting, v4).")
