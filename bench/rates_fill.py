"""Rates at their bound, for the read figures: every bucket of every topic of
a seeded store filled, as a day of traffic from every shard would leave them.
SQLite and PostgreSQL keep a row per minute for a day (1,440 per topic;
PostgreSQL: the current and the previous minute in all 16 shard rows, the
older ones folded into shard -1 as the roll-over does, the most a topic can
have); Redis a hash per 10-minute bucket with a field per kind and minute
and the bucket's totals, expiring as the store's own do.

The only state the bench writes behind the store's back: no public method can
write a past bucket, and the seeding takes minutes, not a day. It touches the
rates rows / keys of the namespace only, so the tasks and their counts stay as
the store made them.
"""

from __future__ import annotations

import random
import sqlite3

SHARDS = 16  # stores/postgres/schema.sql: pg_backend_pid() % 16


MINUTE, DAY_MINUTES = 60_000, 1_440


def _buckets(now_ms: int):
    """(width, buckets kept, start) of every minute of the day."""
    for width, count in [(MINUTE, DAY_MINUTES)]:
        current = now_ms - now_ms % width
        for i in range(count):
            yield width, count, current - i * width


def fill(store, topics: list[str]) -> int:
    """Fill every bucket of ``topics`` on ``store``'s backend; returns the rows (keys) written."""
    rnd = random.Random(14)
    now = store.now_ms()
    rows = [(topic, width, count, start, *(rnd.randrange(100) for _ in range(4)))
            for topic in topics for width, count, start in _buckets(now)]
    ns = store.namespace
    if store.scheme == "sqlite":
        conn = sqlite3.connect(store.path, isolation_level=None)
        conn.executemany(
            f"INSERT OR REPLACE INTO {ns}_rates (topic, width_ms, bucket_start, created, terminated, failed, snoozed)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)", [(t, w, s, *n) for t, w, _, s, *n in rows])
        conn.close()
        return len(rows)
    if store.scheme == "postgresql":
        from psycopg import sql

        with store._pool.connection() as conn, conn.cursor() as cur:
            cur.executemany(
                sql.SQL("INSERT INTO {}.rates (topic, width_ms, bucket_start, shard, created, terminated, failed, "
                        "snoozed) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING").format(
                            sql.Identifier(ns)),
                [(t, w, s, shard, *n) for t, w, _, s, *n in rows
                 for shard in (range(SHARDS) if s >= now - now % w - w else (-1,))])
            cur.execute(sql.SQL("SELECT count(*) FROM {}.rates").format(sql.Identifier(ns)))
            written = cur.fetchone()
        return int(written[0]) if written else 0
    pipe = store._client.pipeline(transaction=False)
    keys: dict[tuple[str, int], dict[str, int]] = {}
    for t, _, _, s, *n in rows:  # minutes: a hash per 10-minute bucket (common.lua's rate)
        start = s - s % 600_000
        fields = keys.setdefault((t, start), {})
        for kind, count in zip("ctfs", n, strict=True):
            fields[f"{kind}{(s - start) // MINUTE}"] = count
            fields[kind] = fields.get(kind, 0) + count
    for (t, start), fields in keys.items():
        key = f"{store._scripts.prefix(t)}rate:{start}"
        pipe.hset(key, mapping=fields)
        pipe.pexpireat(key, start + 86_400_000)
    pipe.execute()
    return len(keys)
