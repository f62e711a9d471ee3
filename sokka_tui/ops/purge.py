"""``sokka purge --older-than 30d``: retention for finished tasks, in bounded batches.

Each batch is one transaction (Redis: one script per topic) deleting at most
``--batch-size`` tasks whose ``updated_at`` is older than the cutoff by the
store's clock (``store.purge_tasks``); this loops until a batch comes back
short, reporting progress on stderr and the total at the end. Only
``terminated`` and ``failed`` tasks can go; ``--dry-run`` counts them instead.
"""

from __future__ import annotations

import argparse
import sys
from functools import partial

from sokka_tui.ops.confirm import confirm
from sokka_tui.ops.errors import Interrupted, Usage
from sokka_tui.ops.output import Output, iso
from sokka_tui.render import absolute, clean, counted, format_duration
from stores import FINAL_STATUSES, scroll
from stores.protocol import Store

PAGE = 1_000


def statuses_of(text: str) -> tuple[str, ...]:
    """``--status terminated,failed``: final statuses only. Raises ``Usage``."""
    final = sorted(str(s) for s in FINAL_STATUSES)
    chosen = tuple(dict.fromkeys(part.strip() for part in text.split(",") if part.strip()))
    wrong = [s for s in chosen if s not in final]
    if not chosen or wrong:
        shown = ", ".join(repr(clean(s)) for s in wrong) or "none"
        raise Usage(f"--status takes finished statuses only ({', '.join(final)}), not {shown}")
    return chosen


def _scope(args: argparse.Namespace, statuses: tuple[str, ...], count: int | None = None) -> str:
    """``failed tasks of topic 'x' last updated more than 30d ago``, with ``count``
    in front (``1 failed task ...``) when given."""
    where = f" of topic {clean(args.topic)!r}" if args.topic else ""
    kind = counted(count, f"{' and '.join(statuses)} task") if count is not None else f"{' and '.join(statuses)} tasks"
    return f"{kind}{where} last updated more than {format_duration(args.older_than)} ago"


def dry_run(store: Store, args: argparse.Namespace, out: Output) -> int:
    statuses = statuses_of(args.status)
    cutoff = store.now_ms() - args.older_than
    counted = {}
    for status in statuses:
        filters = {"status": status, "to_ms": cutoff - 1}
        if args.topic:
            filters["topic"] = args.topic
        counted[status] = sum(1 for _ in scroll(partial(store.list_tasks, filters), {"limit": PAGE}))
    total = sum(counted.values())
    out.document(
        {"would_purge": total, "by_status": counted, "cutoff_ms": cutoff, "cutoff_iso": iso(cutoff),
         "topic": args.topic},
        f"Would purge {_scope(args, statuses, total)} (before {absolute(cutoff, out.zone)}): "
        + ", ".join(f"{s} {n}" for s, n in counted.items()) + ". Nothing was deleted.",
    )
    return 0


def purge(store: Store, args: argparse.Namespace, out: Output) -> int:
    statuses = statuses_of(args.status)
    confirm(f"Delete every {_scope(args, statuses)}, for good?", args.yes)
    total, batches = 0, 0
    progress = out.for_people and sys.stderr.isatty()
    try:
        for deleted in _batches(store, args, statuses):
            total += deleted
            batches += 1
            if progress:
                print(f"\r… purged {total}", end="", file=sys.stderr, flush=True)
            elif out.for_people and deleted == args.batch_size:  # a log gets a line a batch
                print(f"… purged {total}", file=sys.stderr, flush=True)
    except KeyboardInterrupt:
        # The batch in flight either committed or not; what is counted is gone.
        done = f"{counted(total, 'task')} in {counted(batches, 'batch', 'batches')}"
        raise Interrupted(f"interrupted after purging {done}") from None
    finally:
        if progress and batches:
            print(file=sys.stderr)
    out.document(
        {"purged": total, "batches": batches, "statuses": list(statuses), "topic": args.topic,
         "older_than_ms": args.older_than},
        f"Purged {_scope(args, statuses, total)}.",
    )
    return 0


def _batches(store: Store, args: argparse.Namespace, statuses: tuple[str, ...]):
    """Each batch's count, until one comes back short (nothing older is left)."""
    while True:
        deleted = store.purge_tasks(args.older_than, statuses, args.topic, args.batch_size)
        yield deleted
        if deleted < args.batch_size:
            return
