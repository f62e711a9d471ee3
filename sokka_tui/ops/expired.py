"""``sokka revoke-expired TOPIC``: revoke every running task of a topic whose lease ended.

Like the console's ``X``: the expired leases are found by the store's clock
(soonest expiry first, page by page), kept as (id, ``record_ver``, owner)
only, then revoked with ``apply_bulk`` in chunks, each task only at the version
it was found at. A task that changed meanwhile (renewed, finished) is skipped.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter

from sokka_tui.ops.confirm import confirm
from sokka_tui.ops.output import Output, dumps
from sokka_tui.query import STUCK_EXPIRED, TaskQuery
from sokka_tui.render import clean, counted
from sokka_tui.selection import matching
from stores.bulk import BULK_CHUNK, BulkItem, BulkOutcome
from stores.protocol import Store


def expired(store: Store, topic: str):
    """The running tasks of ``topic`` whose lease ended, by the store's clock now."""
    return matching(store, TaskQuery(topic=topic, stuck=STUCK_EXPIRED), store.now_ms(), 0)


def dry_run(store: Store, args: argparse.Namespace, out: Output) -> int:
    out.leased(expired(store, args.topic), store.now_ms(), topic_column=False)
    return 0


def revoke_expired(store: Store, args: argparse.Namespace, out: Output) -> int:
    items = [BulkItem(t.task_id, t.record_ver, t.pid, t.status) for t in expired(store, args.topic)]
    topic = clean(args.topic)
    if not items:
        out.document(_summary(args.topic, 0, Counter()), f"No expired lease in topic {topic!r}.")
        return 0
    sample = ", ".join(clean(item.task_id) for item in items[:3]) + (", …" if len(items) > 3 else "")
    confirm(f"Revoke {counted(len(items), 'expired lease')} of topic {topic!r} ({sample})?", args.yes)
    counts: Counter = Counter()
    for start in range(0, len(items), BULK_CHUNK):
        for result in store.apply_bulk("revoke", items[start : start + BULK_CHUNK]):
            counts[result.outcome] += 1
            if out.fmt == "jsonl":
                out.stream.write(dumps({"task_id": result.task_id, "outcome": str(result.outcome),
                                        "reason": result.reason}) + "\n")
        if out.for_people and len(items) > BULK_CHUNK:
            print(f"… {min(start + BULK_CHUNK, len(items))} of {len(items)}", file=sys.stderr, flush=True)
    people = (
        f"Revoked {counts[BulkOutcome.DONE]:,} of {counted(len(items), 'expired lease')} of topic {topic!r}: "
        f"done {counts[BulkOutcome.DONE]}, skipped {counts[BulkOutcome.SKIPPED]} (changed since found), "
        f"refused {counts[BulkOutcome.REFUSED]}, gone {counts[BulkOutcome.GONE]}."
    )
    if out.fmt != "jsonl":
        out.document(_summary(args.topic, len(items), counts), people)
    return 0


def _summary(topic: str, found: int, counts: Counter) -> dict:
    return {"topic": topic, "found": found, **{str(o): counts[o] for o in BulkOutcome}}
