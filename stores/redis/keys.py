"""Key names and index members of the Redis store.

Keys (``ns`` is the namespace; ``T`` the topic with ``%``, ``{``, ``}``
percent-encoded, so that the hash tag ``{T}`` ends where the topic does):

- ``ns:schema`` -- the schema version (``SET NX`` on the first writable open).
- ``ns:identity`` -- the store's identity, ``"<store_id>:<created ms>"``
  (``stores.identity``; ``SET NX`` on every writable open, right after the
  schema's, so a namespace made before identities gets one too).
- ``ns:topics`` -- set of every topic ever written to.
- ``ns:tid:<task_id>`` -- the id's claim, ``"<claimed ms>:<topic>"``: ids are
  global, so a create claims them (``SET NX``) before any topic script runs.
- ``ns:grp:<task_group_id>`` -- zset of the group's ids (groups span topics).
- ``ns:{T}:...`` -- everything of one topic, in one cluster slot, so one script
  can change it atomically: ``meta`` (id -> JSON array of the mutable fields),
  ``static`` (id -> JSON array of the fields fixed at create, ``data`` as the
  exact JSON text given), ``z:starting`` (ids by created_at), and lexicographic
  indexes (score 0, members ``"%015d:<task_id>"``) for keyset paging:
  ``u:s:<status>`` and ``u:ts:<status>:<sub_topic>`` (by updated_at),
  ``l:running`` and ``l:snoozed`` (by lease_expires_at); the audit trail's
  stream ``audit`` and, per task, the list of its entries' stream ids
  ``audit:t:<task_id>``; ``pause``, a hash (``at``, ``until``, ``reason``,
  ``by``) while the topic is paused (schema 3; a timed pause expires as a key
  at its end), which ``reserve.lua`` reads first; ``rate:<start>``, a hash
  per 10-minute bucket of the rates over time (fields ``<c|t|f|s><minute>``:
  created, terminated, failed, snoozed in the bucket's minute 0-9, and
  ``c``, ``t``, ``f``, ``s``: the bucket's totals), expiring
  when it leaves the day's window (``common.lua``'s ``rate``; absent: nothing
  happened, so no schema version was needed for it).

Schema 2 keeps a task in as few structures as the reads allow, because every
status change moves it between them inside the write's script (a cycle of
reserve and terminate touches 5 index keys, not 16):

- no unfiltered ``u`` or per-sub_topic ``u:t:<sub>`` index: ``list_tasks``
  without a status filter merges the status indexes (``list.lua``), which cost
  a few range reads per page instead of two more writes per status change;
- no ``counts`` hash: a status' count is the ``ZCARD`` of ``u:s:<status>``;
- ``l:running`` and ``l:snoozed`` serve reservation of ended leases,
  ``list_leased_tasks`` (merged) and the expired count; schema 1 had the
  ``z:running`` / ``z:snoozed`` zsets and a ``leased`` index for that.

``upgrade.lua`` turns a schema 1 topic into this layout in place. Schema 3
adds only the ``pause`` key, absent until a topic is paused: its upgrade moves
nothing (older versions would not honour a pause, so they must not open it).

The Lua scripts build the topic keys themselves from the prefix they get as
``KEYS[1]`` (``common.lua``); the names here must match theirs.
"""

from __future__ import annotations

from dataclasses import dataclass


def escape_topic(topic: str) -> str:
    """The topic as it appears inside the hash tag: no ``{`` or ``}``, reversible."""
    return topic.replace("%", "%25").replace("{", "%7B").replace("}", "%7D")


def lex_time(ms: int) -> str:
    """The time part of an index member: 15 digits, so members sort by time as text."""
    return f"{ms:015d}"


def lex(ms: int, task_id: str) -> str:
    """An index member: time then id, as ``common.lua`` writes them."""
    return f"{lex_time(ms)}:{task_id}"


def list_indexes(status: str | None, sub_topic: str | None, statuses: tuple[str, ...]) -> list[str]:
    """The topic's index key suffixes that ``list_tasks`` merges for a status and
    sub_topic filter: one with a status, one per status in ``statuses`` without."""
    chosen = statuses if status is None else (status,)
    if sub_topic is not None:
        return [f"u:ts:{s}:{sub_topic}" for s in chosen]
    return [f"u:s:{s}" for s in chosen]


#: The lease indexes that ``list_leased_tasks`` merges.
LEASED_INDEXES = ["l:running", "l:snoozed"]


@dataclass(frozen=True)
class Keys:
    """The key names of one namespace."""

    namespace: str

    @property
    def schema(self) -> str:
        return f"{self.namespace}:schema"

    @property
    def identity(self) -> str:
        return f"{self.namespace}:identity"

    @property
    def topics(self) -> str:
        return f"{self.namespace}:topics"

    def claim(self, task_id: str) -> str:
        """The id's claim: which topic holds the task (ids are unique across topics)."""
        return f"{self.namespace}:tid:{task_id}"

    def group(self, task_group_id: str) -> str:
        return f"{self.namespace}:grp:{task_group_id}"

    def topic(self, topic: str) -> str:
        """KEYS[1] of every topic script: the prefix of all the topic's keys."""
        return f"{self.namespace}:{{{escape_topic(topic)}}}:"

    def meta(self, topic: str) -> str:
        return self.topic(topic) + "meta"

    def static(self, topic: str) -> str:
        return self.topic(topic) + "static"

    def audit(self, topic: str) -> str:
        """The topic's audit trail: a stream, one entry per recorded write."""
        return self.topic(topic) + "audit"

    def pause(self, topic: str) -> str:
        """The topic's pause, a hash, while it is paused (``pause.lua``)."""
        return self.topic(topic) + "pause"

    def task_audit(self, topic: str, task_id: str) -> str:
        """The stream ids of one task's audit entries, oldest first."""
        return self.topic(topic) + "audit:t:" + task_id
