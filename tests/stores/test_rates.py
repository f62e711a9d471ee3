"""Rates over time (``rates``), on every backend (Redis Cluster too): each
created, terminated, failed and snoozed task is counted once, in the bucket of
the write's own time on the store's clock, by the write itself (bulk writes
and re-runs too, revokes not); every bucket of the window is returned, zeros
filled; old buckets go away; a read-only store reads them."""

from __future__ import annotations

import sqlite3
import threading
from collections import Counter

import psycopg
import pytest
import redis

from stores import (
    RATE_RESOLUTIONS,
    InvalidArgument,
    InvalidStatusTransition,
    RateBucket,
    TaskStatus,
    TopicRates,
    WrongOwner,
)
from stores.bulk import BulkItem
from tests.servers import PG_URL

MINUTE, TEN_MINUTES = RATE_RESOLUTIONS["minute"][0], RATE_RESOLUTIONS["10min"][0]


def _fill(store, topic, n, prefix=""):
    return store.create_tasks([{"task_id": f"{prefix}{topic}-{i}", "topic": topic} for i in range(n)])


def _start(ms, width=MINUTE):
    return ms - ms % width


def _kept(rates: TopicRates) -> dict[int, tuple[int, int, int, int]]:
    """The buckets with anything in them, by start."""
    return {
        b.start_ms: (b.created, b.terminated, b.failed, b.snoozed)
        for b in rates.buckets
        if (b.created, b.terminated, b.failed, b.snoozed) != (0, 0, 0, 0)
    }


def _expected(events, width=MINUTE):
    """``events``: (kind index, ms) pairs -> the buckets ``_kept`` should read."""
    cells: dict[int, list[int]] = {}
    for kind, ms in events:
        cells.setdefault(_start(ms, width), [0, 0, 0, 0])[kind] += 1
    return {start: tuple(cell) for start, cell in cells.items()}


CREATED, TERMINATED, FAILED, SNOOZED = range(4)


def _totals(rates: TopicRates) -> tuple[int, int, int, int]:
    return (
        sum(b.created for b in rates.buckets), sum(b.terminated for b in rates.buckets),
        sum(b.failed for b in rates.buckets), sum(b.snoozed for b in rates.buckets),
    )


def test_every_bucket_of_the_window_is_there_oldest_first(store):
    before = store.now_ms()
    for resolution, (width, count) in RATE_RESOLUTIONS.items():
        (rates,) = store.rates("mail", resolution=resolution)
        assert isinstance(rates, TopicRates)
        assert (rates.topic, rates.width_ms, len(rates.buckets)) == ("mail", width, count)
        assert before <= rates.now_ms <= store.now_ms()
        starts = [b.start_ms for b in rates.buckets]
        assert starts == list(range(starts[0], starts[0] + count * width, width))
        assert starts[-1] == _start(rates.now_ms, width)  # the current, still-filling bucket
        assert all(b == RateBucket(b.start_ms) for b in rates.buckets)  # unknown topic: zeros
    assert store.rates() == []  # no topic has any bucket


def test_each_kind_of_write_is_counted_once_in_its_bucket(store):
    a, b, c, d, e = _fill(store, "mail", 5)
    other = store.create_task({"topic": "jobs"})
    events = [(CREATED, t.created_at) for t in (a, b, c, d, e)]
    for kind, write in ((TERMINATED, store.terminate), (FAILED, store.fail), (SNOOZED, store.snooze)):
        task = store.reserve_task("mail", "w1")
        events.append((kind, write(task.task_id, "w1").updated_at))
    snoozed = store.list_tasks({"topic": "mail", "status": "snoozed"}).data[0]
    events.append((TERMINATED, store.terminate(snoozed.task_id, None).updated_at))  # from snoozed
    events.append((FAILED, store.fail(d.task_id, None, error="never ran").updated_at))  # from starting
    running = store.reserve_task("mail", "w2")
    store.revoke_lease(running.task_id, running.record_ver)  # not counted
    again = store.rerun_task(b.task_id, store.task(b.task_id).record_ver)
    events.append((CREATED, again.created_at))

    (mail,) = store.rates("mail")
    assert _kept(mail) == _expected(events)
    (mail_10,) = store.rates("mail", resolution="10min")
    assert _kept(mail_10) == _expected(events, TEN_MINUTES)
    assert [r.topic for r in store.rates()] == ["jobs", "mail"]
    (jobs,) = store.rates("jobs")
    assert _kept(jobs) == _expected([(CREATED, other.created_at)])


def test_refused_writes_are_not_counted(store):
    (task,) = _fill(store, "mail", 1)
    running = store.reserve_task("mail", "w1")
    with pytest.raises(WrongOwner):
        store.terminate(running.task_id, "someone-else")
    store.terminate(running.task_id, "w1")
    with pytest.raises(InvalidStatusTransition):
        store.fail(task.task_id, "w1")  # already done
    assert _totals(store.rates("mail")[0]) == (1, 1, 0, 0)


def test_bulk_writes_and_batches_are_counted(store):
    tasks = _fill(store, "mail", 40)
    held = [store.reserve_task("mail", "w") for _ in range(30)]
    done = {}
    for action, chunk in (("terminate", held[:10]), ("fail", held[10:20]), ("snooze", held[20:30])):
        results = store.apply_bulk(action, [BulkItem(t.task_id, t.record_ver, "w") for t in chunk])
        done[action] = [r.task for r in results if r.task is not None]
        assert len(done[action]) == 10
    stale = store.apply_bulk("terminate", [BulkItem(t.task_id, t.record_ver, "w") for t in held[:5]])
    assert all(r.task is None for r in stale)  # refused: not counted again
    events = [(CREATED, t.created_at) for t in tasks]
    events += [(TERMINATED, t.updated_at) for t in done["terminate"]]
    events += [(FAILED, t.updated_at) for t in done["fail"]]
    events += [(SNOOZED, t.updated_at) for t in done["snooze"]]
    (mail,) = store.rates("mail")
    assert _kept(mail) == _expected(events)
    assert _totals(mail) == (40, 10, 10, 10)
    reruns = store.apply_bulk("rerun", [BulkItem(t.task_id, t.record_ver) for t in done["fail"][:3]])
    assert _totals(store.rates("mail")[0]) == (43, 10, 10, 10)
    assert all(r.task is not None for r in reruns)


def test_concurrent_writers_are_counted_exactly(make_store):
    first = make_store(lease_time_ms=60_000)
    stores_ = [first] + [make_store(namespace=first.namespace, lease_time_ms=60_000) for _ in range(3)]
    per_thread = 25
    errors = []

    def work(i, store):
        try:
            for n in range(per_thread):
                store.create_task({"task_id": f"t{i}-{n}", "topic": "mail"})
                task = store.reserve_task("mail", f"w{i}")
                if task is None:
                    continue
                if n % 3 == 0:
                    store.terminate(task.task_id, f"w{i}")
                elif n % 3 == 1:
                    store.fail(task.task_id, f"w{i}")
                else:
                    store.snooze(task.task_id, f"w{i}", snooze_ms=3_600_000)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i, s)) for i, s in enumerate(stores_)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    counts = first.topics()[0].counts
    assert _totals(first.rates("mail")[0]) == (
        len(stores_) * per_thread, counts[TaskStatus.TERMINATED], counts[TaskStatus.FAILED],
        counts[TaskStatus.SNOOZED],
    )
    assert sum(_totals(first.rates("mail")[0])[1:]) == len(stores_) * per_thread - counts[TaskStatus.STARTING]


def test_a_read_only_store_reads_the_rates(make_store):
    writer = make_store()
    _fill(writer, "mail", 3)
    reader = make_store(namespace=writer.namespace, read_only=True)
    (mail,) = reader.rates("mail")
    assert _totals(mail) == (3, 0, 0, 0)
    assert [r.topic for r in reader.rates(resolution="10min")] == ["mail"]


@pytest.mark.parametrize("resolution", ["hour", "", None, 60, "MINUTE"])
def test_a_bad_resolution_is_refused(store, resolution):
    with pytest.raises(InvalidArgument, match="resolution"):
        store.rates(resolution=resolution)


@pytest.mark.parametrize("topic", ["", 5])
def test_a_bad_topic_is_refused(store, topic):
    with pytest.raises(InvalidArgument):
        store.rates(topic)


def test_odd_topic_names_are_kept_apart(store):
    store.create_task({"topic": "a{b}"})
    store.create_task({"topic": "a%7Bb%7D"})
    store.create_task({"topic": "a%7Bb%7D"})
    assert [(r.topic, _totals(r)[0]) for r in store.rates()] == [("a%7Bb%7D", 2), ("a{b}", 1)]


# -- expiry: what is kept stays bounded (white-box, per backend) ------------------

DAY = 86_400_000  # the SQL backends keep minute rows this long (the longest window)


def test_buckets_outside_the_window_are_not_returned_and_go_away(store, backend, store_url):
    """The SQL backends keep a row per minute for a day (the 10-minute
    resolution adds them up): a minute older than the window (put there
    directly, as if written long ago) is not read, and the next new minute's
    row deletes what is older than a day. On Redis every bucket's hash expires
    when it leaves its window."""
    (task,) = _fill(store, "mail", 1)
    now = store.now_ms()
    hour_ago, day_ago = _start(now) - 60 * MINUTE, _start(now) - DAY
    if backend in ("sqlite", "postgres"):
        if backend == "sqlite":
            conn = sqlite3.connect(store.path, isolation_level=None)
            table, mark = f"{store.namespace}_rates", "?"
            shard_col, shards = "", [""]
        else:
            conn = psycopg.connect(PG_URL, autocommit=True)
            table, mark = f'"{store.namespace}".rates', "%s"
            shard_col, shards = ", shard", [", 3", ", 4"]

        def insert(topic, start, created=0, shard=""):
            conn.execute(f"INSERT INTO {table} (topic, width_ms, bucket_start{shard_col}, created) "
                         f"VALUES ('{topic}', 60000, {mark}{shard}, {mark})", (start, created))

        try:
            for shard in shards:
                insert("hour", hour_ago, 5, shard)   # out of the hour, in the day
                insert("old", day_ago, 7, shard)     # out of both windows
            assert [r.topic for r in store.rates()] == ["mail"]
            assert [(r.topic, _totals(r)[0]) for r in store.rates(resolution="10min")] == [
                ("hour", 5 * len(shards)), ("mail", 1)]
            assert _totals(store.rates("old", resolution="10min")[0]) == (0, 0, 0, 0)
            # A new minute's row deletes what is older than a day, for every topic
            # (PostgreSQL: of its shard, when that shard's next minute begins).
            insert("new", _start(now) + MINUTE, 0, shards[0])
            left = sorted(conn.execute(f"SELECT topic FROM {table} WHERE topic IN ('old', 'hour')").fetchall())
            if backend == "sqlite":
                assert left == [("hour",)]
            else:
                assert left == [("hour",), ("hour",), ("old",)]  # shard 4's rows wait for shard 4
                # Shard 3's older minutes were folded into shard -1, none lost.
                rows = conn.execute(f"SELECT shard, created FROM {table} WHERE topic = 'hour' ORDER BY 1").fetchall()
                assert rows == [(-1, 5), (4, 5)]
                assert _totals(store.rates("hour", resolution="10min")[0])[0] == 10
        finally:
            conn.close()
    else:
        # More writes to the same buckets: the expiry is set when a field is made.
        more = store.create_tasks([{"topic": "mail"} for _ in range(3)])
        done = store.terminate(store.reserve_task("mail", "w").task_id, "w")
        if any(_start(ms) != _start(task.created_at) for ms in [done.updated_at, *(t.created_at for t in more)]):
            pytest.skip("the writes crossed a minute: the keys below would be more")  # pragma: no cover
        client = (redis.RedisCluster.from_url(store_url.replace("redis+cluster", "redis"))
                  if backend == "redis-cluster" else redis.Redis.from_url(store_url))
        try:
            keys = sorted(k.decode() for k in (
                client.scan_iter(match=f"{store.namespace}:*rate:*", target_nodes="all")
                if backend == "redis-cluster" else client.scan_iter(match=f"{store.namespace}:*rate:*")))
            assert len(keys) == 1  # one hash per 10-minute bucket: a field per kind and minute, and totals
            (key,) = keys
            start = int(key.rsplit(":", 1)[1])
            assert start == _start(task.created_at, TEN_MINUTES)
            offset = (_start(task.created_at) - start) // MINUTE
            assert client.hgetall(key) == {
                f"c{offset}".encode(): b"4", f"t{offset}".encode(): b"1", b"c": b"4", b"t": b"1"}
            # It expires exactly when its bucket leaves the day's window.
            assert client.pexpiretime(key) == start + 144 * TEN_MINUTES
        finally:
            client.close()


def test_sqlite_moves_a_past_minute_into_the_rates_table(make_store, backend, tmp_path):
    """SQLite holds the current minute in topic_counts; when a status' minute
    moves on, what it held goes to that minute's rates row: nothing lost or
    counted twice (a store with a clock of its own, so minutes pass at once)."""
    if backend != "sqlite":
        pytest.skip("SQLite's layout")
    from stores.options import StoreOptions
    from stores.sqlite.store import SQLiteStore

    now = [1_800_000_000_000 - 1_800_000_000_000 % MINUTE]
    store = SQLiteStore(str(tmp_path / "clock.db"), StoreOptions(lease_time_ms=600_000), clock=lambda: now[0])
    try:
        events = []
        for minute in range(3):
            for task in _fill(store, "mail", 2, prefix=f"m{minute}"):
                events.append((CREATED, task.created_at))
            held = store.reserve_task("mail", "w")
            events.append((TERMINATED, store.terminate(held.task_id, "w").updated_at))
            held = store.reserve_task("mail", "w")
            events.append((SNOOZED, store.snooze(held.task_id, "w", 60_000).updated_at))
            now[0] += MINUTE
        (mail,) = store.rates("mail")
        assert _kept(mail) == _expected(events)
        (day,) = store.rates("mail", resolution="10min")
        assert _totals(day) == (6, 3, 0, 3)
        rows = store._conn.execute(f"SELECT bucket_start FROM {store.namespace}_rates ORDER BY 1").fetchall()
        assert [r[0] for r in rows] == [now[0] - 3 * MINUTE, now[0] - 2 * MINUTE]  # the last one still in topic_counts
        now[0] += 2 * 86_400_000  # a day later: everything has left both windows
        store.create_task({"task_id": "late", "topic": "mail"})
        assert _totals(store.rates("mail", resolution="10min")[0]) == (1, 0, 0, 0)
        now[0] += MINUTE  # the next minute's create moves the last one into rates, whose
        store.create_task({"task_id": "later", "topic": "mail"})  # first row deletes the old ones
        left = store._conn.execute(f"SELECT bucket_start, created FROM {store.namespace}_rates").fetchall()
        assert left == [(now[0] - MINUTE, 1)]
    finally:
        store.close()


def test_what_is_kept_is_bounded_by_topics_and_buckets(store, backend):
    """Many writes in one minute keep one row (per shard), not one per write
    (SQLite: none until the minute is over; it is held in topic_counts)."""
    tasks = _fill(store, "mail", 30)
    for _ in range(20):
        store.terminate(store.reserve_task("mail", "w").task_id, "w")
    if backend == "sqlite":
        conn = sqlite3.connect(store.path)
        rows = conn.execute(f"SELECT width_ms, bucket_start FROM {store.namespace}_rates").fetchall()
        conn.close()
    elif backend == "postgres":
        with psycopg.connect(PG_URL) as conn:
            rows = conn.execute(f'SELECT width_ms, bucket_start FROM "{store.namespace}".rates').fetchall()
    else:
        pytest.skip("Redis: one hash per bucket, which expires (the test above)")
    per_minute = Counter(rows)
    # Minute rows only; the writes span a minute boundary at most (they take
    # well under a minute), and a minute has a row per shard at most
    # (PostgreSQL: 16, and -1 for folded rows).
    assert {width for width, _ in per_minute} <= {MINUTE} and len(per_minute) <= 2
    assert max(per_minute.values(), default=0) <= (17 if backend == "postgres" else 1)
    assert len(tasks) == 30
