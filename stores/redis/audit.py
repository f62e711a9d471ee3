"""The audit trail on Redis: each topic's stream of records, read back as ``AuditEntry``.

``common.lua`` (``record``) writes the entries; their stream id ``<ms>-<seq>``
is the server's clock, so ``at`` is its ms part and ``audit_id`` is
``"<ms>-<seq, 10 digits>:<topic>"``: ``(at, audit_id)`` then orders the records
of every topic in one sequence, the order ``audit_log`` pages in.
"""

from __future__ import annotations

from dataclasses import dataclass

from stores.audit import AuditEntry
from stores.errors import InvalidArgument
from stores.model import TaskStatus


@dataclass(frozen=True)
class AuditAfter:
    """A checked ``audit_log`` cursor position: the last record seen."""

    at: int
    seq: int
    topic: str

    @property
    def key(self) -> tuple[int, str]:
        return (self.at, audit_id(self.at, self.seq, self.topic))


def audit_id(ms: int, seq: int, topic: str) -> str:
    return f"{ms}-{seq:010d}:{topic}"


def audit_after(after: tuple[int, str] | None) -> AuditAfter | None:
    """The cursor's position, or ``InvalidArgument`` for one this store did not make."""
    if after is None:
        return None
    at, rest = after
    ms, _, rest = rest.partition("-")
    seq, sep, topic = rest.partition(":")
    if not (sep and ms == str(at) and len(seq) == 10 and seq.isdigit()):
        raise InvalidArgument("cursor is not one this store returned.")
    return AuditAfter(at, int(seq), topic)


def stream_bound(topic: str, after: AuditAfter | None) -> str:
    """The XREVRANGE upper bound of ``topic``'s stream for the page after ``after``:
    records at the same stream id sort by topic, so the bound is inclusive for
    topics ordered before the cursor's."""
    if after is None:
        return "+"
    bound = f"{after.at}-{after.seq}"
    return bound if topic < after.topic else "(" + bound


def audit_entry(topic: str, sid: str, fields: dict[str, str]) -> AuditEntry:
    """An entry from its stream id and fields, as ``record`` in ``common.lua`` wrote them."""
    ms, _, seq = sid.partition("-")
    return AuditEntry(
        audit_id=audit_id(int(ms), int(seq), topic),
        at=int(ms),
        user=fields["user"],
        host=fields["host"],
        tool=fields["tool"],
        action=fields["action"],
        task_id=fields["task_id"],
        topic=topic,
        status_before=TaskStatus(fields["before"]) if fields["before"] else None,
        status_after=TaskStatus(fields["after"]) if fields["after"] else None,
        record_ver_before=int(fields["ver_before"]) if fields["ver_before"] else None,
        record_ver_after=int(fields["ver_after"]) if fields["ver_after"] else None,
        detail=fields["detail"],
        batch_id=fields["batch"] or None,
    )
