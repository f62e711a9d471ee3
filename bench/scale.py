"""Store reads at scale, on a seeded store: topics(), list_tasks pages 1 and 100,
list_leased_tasks, task(), a payload search (its first call; the whole topic).
On PostgreSQL every query's plan is printed
(``EXPLAIN (ANALYZE, BUFFERS)``) and checked for a sequential scan of tasks."""

from __future__ import annotations

import random
import time
from collections.abc import Callable

from bench.table import Row, Target, value_row
from stores import scroll
from stores.validation import DEFAULT_SCAN_LIMIT

PAGE = 100
TOPIC = "topic-07"
#: A payload search that matches no task (the seed's data is {"n": i, "kind": "seed"}):
#: every call reads its whole scan limit, the worst case for a first page.
SEARCH_NONE = {"topic": TOPIC, "data": ["data.kind~nothing-like-this"]}
#: One task of the topic (n = 42): the whole range is read to find it.
SEARCH_ONE = {"topic": TOPIC, "data": ["data.n=42"]}


def _timed_ms(fn: Callable[[], object], reps: int) -> list[float]:
    fn()  # warm: connection, statement cache
    out = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def measure(backend_name: str, store, reps: int, plans: list[str]) -> list[Row]:
    """The read figures of the issue, medians of ``reps`` calls each."""
    reps = max(reps, 5)
    filters = {"topic": TOPIC}
    first = store.list_tasks(filters, {"limit": PAGE})
    cursor = first.cursor
    for _ in range(98):  # to the cursor of page 100
        cursor = store.list_tasks(filters, cursor).cursor
    page100 = dict(cursor)
    ids = [t.task_id for t in first.data]
    rnd = random.Random(7)
    calls: list[tuple[str, Callable[[], object], float]] = [
        ("topics()", store.topics, 50),
        (f"list_tasks page 1 ({TOPIC}, {PAGE} rows)", lambda: store.list_tasks(filters, {"limit": PAGE}), 20),
        (f"list_tasks page 100 ({TOPIC}, keyset)", lambda: store.list_tasks(filters, page100), 20),
        (f"list_leased_tasks page 1 (all topics, {PAGE})", lambda: store.list_leased_tasks(None, {"limit": PAGE}), 20),
        ("task(id)", lambda: store.task(rnd.choice(ids)), 2),
        ("rates() (all topics, every bucket filled)", store.rates, 10),
        (f"payload search, first page ({TOPIC}, reads up to {DEFAULT_SCAN_LIMIT:,})",
         lambda: store.list_tasks(SEARCH_NONE, {"limit": PAGE}), 1000),
    ]
    rows = []
    for label, fn, bound in calls:
        values = _timed_ms(fn, reps * (4 if label == "task(id)" else 1))
        rows.append(value_row(label, backend_name, "ms", values, Target("value", "<=", bound, " ms")))
    day = _timed_ms(lambda: store.rates(resolution="10min"), reps)
    rows.append(value_row("rates(resolution='10min') (all topics)", backend_name, "ms", day, None,
                          "the CLI's day view; the console reads the hour"))
    size = next(sum(s.counts.values()) for s in store.topics() if s.topic == TOPIC)
    found: list[object] = []
    whole = _timed_ms(lambda: found.__setitem__(slice(None), scroll(
        lambda c: store.list_tasks(SEARCH_ONE, c), {"limit": PAGE})), 1)
    rows.append(value_row(f"payload search, whole topic ({TOPIC})", backend_name, "ms", whole, None,
                          f"data.n=42 over {size:,} tasks: {len(found)} found"))
    if backend_name == "postgres":
        rows.append(_postgres_plans(store, [(label, fn) for label, fn, _ in calls], plans))
    return rows


def _postgres_plans(store, calls, plans: list[str]) -> Row:
    """Run each call once while recording its SQL, then EXPLAIN (ANALYZE, BUFFERS) it."""
    from psycopg import sql

    seq_scans = []
    recorded: list[tuple] = []
    original = store._fetch

    def recording(what, query, params=None):
        recorded.append((query, params))
        return original(what, query, params)

    store._fetch = recording
    try:
        for label, fn in calls:
            recorded.clear()
            fn()
            for query, params in recorded:
                if isinstance(query, (str, bytes)):
                    query = sql.SQL(query)
                with store._connection("explain") as conn:
                    lines = [row[0] for row in conn.execute(
                        sql.Composed([sql.SQL("EXPLAIN (ANALYZE, BUFFERS) "), query]), params)]
                plans.append(f"-- {label}\n" + "\n".join(lines))
                if any("Seq Scan on tasks" in line for line in lines):
                    seq_scans.append(label)
    finally:
        del store._fetch
    note = "plans printed above" + (f"; seq scan in: {', '.join(seq_scans)}" if seq_scans else "")
    return Row("no seq scan of tasks (EXPLAIN ANALYZE)", "postgres", 0, "", note=note, ok=not seq_scans)
