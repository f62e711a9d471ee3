"""``sokka watch [TOPIC]``: the leased tasks, a block of lines every few seconds.

For terminals where the full console can't run (a serial console, a CI log, a
``kubectl exec`` without a TTY): no cursor movement, no curses, only lines.
Each block: a header with the store's time and the counts (read from the
maintained counters), then the leases soonest-expiring first (at most
``--limit``), each marked live, ``STUCK`` (running, lease ended) or
``WAKE DUE`` (snoozed past its wake time), by the store's clock. A store that
stops answering is reported and retried at the interval; ``ctrl+c`` exits 0.
"""

from __future__ import annotations

import argparse
import sys
import time

from sokka_tui.ops.output import Table, leased_columns, leased_row
from sokka_tui.render import absolute, clean
from sokka_tui.timezones import UTC, Zone
from stores import Store, StoreUnavailable, TaskStatus


def block(store: Store, topic: str | None, limit: int, zone: Zone = UTC) -> str:
    """One tick: header and rows, as text, times in ``zone``."""
    from io import StringIO

    now = store.now_ms()
    stats = [s for s in store.topics() if topic is None or s.topic == topic]
    running = sum(s.counts[TaskStatus.RUNNING] for s in stats)
    snoozed = sum(s.counts[TaskStatus.SNOOZED] for s in stats)
    expired = sum(s.expired_leases for s in stats)
    page = store.list_leased_tasks(topic, {"limit": limit})
    scope = f"topic {clean(topic)!r}" if topic is not None else "all topics"
    text = StringIO()
    text.write(f"── {absolute(now, zone)} · {scope} · running {running}, snoozed {snoozed}, STUCK {expired} ──\n")
    if page.data:
        table = Table(leased_columns(zone), text)
        for task in page.data:
            table.row(leased_row(task, now, zone))
        if page.cursor is not None:
            text.write(f"… and {running + snoozed - len(page.data)} more (--limit)\n")
    else:
        text.write("no leased task\n")
    return text.getvalue()


def watch(store: Store, args: argparse.Namespace) -> int:
    """Print a block every ``--interval`` seconds (one with ``--once``) until ctrl+c."""
    try:
        while True:
            started = time.monotonic()
            try:
                sys.stdout.write(block(store, args.topic, args.limit, args.zone) + "\n")
                sys.stdout.flush()
            except StoreUnavailable as exc:
                if args.once:
                    raise
                print(f"sokka: store unavailable, retrying in {args.interval:g}s: {clean(exc)}",
                      file=sys.stderr, flush=True)
            if args.once:
                return 0
            # Sleep the rest of the interval: a slow store never makes ticks pile up.
            time.sleep(max(0.0, args.interval - (time.monotonic() - started)))
    except KeyboardInterrupt:
        return 0
