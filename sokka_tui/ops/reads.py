"""``sokka topics | rates | tasks | task | group | leased | audit``: listings, streamed page by page.

A listing never holds more than one keyset page (``PAGE`` tasks) in memory:
each page is written as it arrives, in every format.
"""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Iterator
from itertools import chain, islice

from sokka_tui.ops.errors import Refused
from sokka_tui.ops.output import Output
from sokka_tui.query import parse_moment
from sokka_tui.rates import totals
from sokka_tui.render import clean
from sokka_tui.timezones import UTC, Zone
from stores import RATE_RESOLUTIONS, Store, scroll
from stores.model import Row

#: Tasks asked of the store per page.
PAGE = 500


def parse_when(text: str, now_ms: int, zone: Zone = UTC) -> int:
    """A time on the command line: a duration ago by the store's clock (``2h``),
    ``2026-11-29 08:00[:SS]`` read in ``zone`` (``--tz``, UTC by default), or
    ISO 8601 with an offset (``2026-11-29T08:00:00+02:00``, ``...Z``). Raises ``ValueError``."""
    try:
        moment = parse_moment(text, now_ms, zone)
    except ValueError as first:
        try:
            parsed = dt.datetime.fromisoformat(text.strip())
        except ValueError:
            raise ValueError(f"{first} ISO 8601 with an offset works too.") from None
        return zone.read(parsed)
    if moment is None:
        raise ValueError(f"Type a time: a duration ago (15m, 2h) or {zone.short} 2026-11-29 08:00.")
    return moment


def _limited(rows: Iterator[Row], limit: int | None) -> Iterator[Row]:
    return islice(rows, limit) if limit else rows


def _of_a_topic(rows: Iterator[Row], store: Store, topic: str | None) -> Iterator[Row]:
    """``rows``, a listing of ``topic``'s tasks; ``Refused`` when it is empty because
    no task has that topic (a topic exists while it has tasks). An existing topic
    with nothing matching is an empty list. Looks ahead one row, before anything
    is written, so a refusal prints no header."""
    first = next(rows, None)
    if first is not None:
        return chain([first], rows)
    if topic is not None and not store.list_tasks({"topic": topic}, {"limit": 1}).data:
        raise Refused(f"no such topic {clean(topic)!r}")
    return iter(())


def _page(limit: int | None) -> dict:
    return {"limit": min(limit, PAGE) if limit else PAGE}


def topics(store: Store, args: argparse.Namespace, out: Output) -> int:
    out.topics(store.topics(), store.now_ms(), store.paused_topics())
    return 0


def rates(store: Store, args: argparse.Namespace, out: Output) -> int:
    """Tasks created, finished, failed and snoozed per bucket over the last hour
    (``--resolution minute``) or day (``10min``): every topic, or one topic's
    buckets. A topic without tasks and without anything counted in the window
    is no topic (as for ``sokka tasks``)."""
    width_ms = RATE_RESOLUTIONS[args.resolution][0]
    if args.topic is None:
        out.rates(store.rates(resolution=args.resolution), args.resolution, width_ms)
        return 0
    (found,) = store.rates(args.topic, resolution=args.resolution)
    if not any(totals(found).values()) and not store.list_tasks({"topic": args.topic}, {"limit": 1}).data:
        raise Refused(f"no such topic {clean(args.topic)!r}")
    out.rate_buckets(found, args.resolution)
    return 0


def tasks(store: Store, args: argparse.Namespace, out: Output) -> int:
    filters: dict = {"topic": args.topic}
    if args.status:
        filters["status"] = args.status
    if args.sub_topic is not None:
        filters["sub_topic"] = args.sub_topic
    if args.since is not None or args.until is not None:
        now = store.now_ms()
        if args.since is not None:
            filters["from_ms"] = parse_when(args.since, now, args.zone)
        if args.until is not None:
            filters["to_ms"] = parse_when(args.until, now, args.zone)
    if args.where:
        # A bounded search per call (stores.payload): pages may be empty until
        # the range's end; scroll goes on while there is a cursor.
        filters["data"] = list(args.where)
    listing = scroll(lambda cursor: store.list_tasks(filters, cursor), _page(args.limit))
    out.tasks(_limited(_of_a_topic(listing, store, args.topic), args.limit), topic_column=False)
    return 0


def task(store: Store, args: argparse.Namespace, out: Output) -> int:
    found = store.task(args.task_id)
    if found is None:
        raise Refused(f"task {clean(args.task_id)!r} not found")
    out.task(found, store.now_ms())
    return 0


def group(store: Store, args: argparse.Namespace, out: Output) -> int:
    members = store.tasks(args.group_id)
    if not members:
        raise Refused(f"no task in group {clean(args.group_id)!r}")
    out.tasks(members)
    return 0


def leased(store: Store, args: argparse.Namespace, out: Output) -> int:
    now = store.now_ms()
    listing = scroll(lambda cursor: store.list_leased_tasks(args.topic, cursor), _page(args.limit))
    out.leased(_limited(_of_a_topic(listing, store, args.topic), args.limit), now,
               topic_column=args.topic is None)
    return 0


def audit(store: Store, args: argparse.Namespace, out: Output) -> int:
    """The audit trail, newest first: every write made through sokka-tui or sokka."""
    trail = scroll(lambda cursor: store.audit_log(args.task, cursor), _page(args.limit))
    out.audit(_limited(trail, args.limit))
    return 0
