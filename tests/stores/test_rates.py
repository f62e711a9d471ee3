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


def test_buckets_outside_the_window_are_not_returned_and_go_away(store, backend, store_url):
    """A bucket older than the window (put there directly, as if written long
    ago) is not read; the next new bucket deletes it (SQL: the expiry trigger);
    on Redis every bucket's hash expires when it leaves its window."""
    (task,) = _fill(store, "mail", 1)
    now = store.now_ms()
    old = {width: _start(now, width) - count * width for width, count in RATE_RESOLUTIONS.values()}
    if backend == "sqlite":
        conn = sqlite3.connect(store.path, isolation_level=None)
        table = f"{store.namespace}_rates"
        for width, start in old.items():
            conn.execute(f"INSERT INTO {table} (topic, width_ms, bucket_start, created) VALUES ('old', ?, ?, 7)",
                         (width, start))
        assert [r.topic for r in store.rates()] == ["mail"]
        assert _totals(store.rates("old")[0]) == (0, 0, 0, 0)
        # A new bucket (a row inserted) deletes what left the window, for every topic.
        for width, start in old.items():
            conn.execute(f"INSERT INTO {table} (topic, width_ms, bucket_start) VALUES ('new', ?, ?)",
                         (width, start + (RATE_RESOLUTIONS['minute' if width == MINUTE else '10min'][1]) * width))
        left = conn.execute(f"SELECT topic, width_ms FROM {table} WHERE topic = 'old'").fetchall()
        assert left == []
        assert conn.execute(f"SELECT count(*) FROM {table} WHERE topic = 'mail'").fetchone()[0] == 2
        conn.close()
    elif backend == "postgres":
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            table = f'"{store.namespace}".rates'
            for width, start in old.items():
                conn.execute(f"INSERT INTO {table} (topic, width_ms, bucket_start, shard, created) "
                             "VALUES ('old', %s, %s, 3, 7), ('old', %s, %s, 4, 7)", (width, start, width, start))
            assert [r.topic for r in store.rates()] == ["mail"]
            assert _totals(store.rates("old")[0]) == (0, 0, 0, 0)
            for width, start in old.items():
                count = RATE_RESOLUTIONS["minute" if width == MINUTE else "10min"][1]
                conn.execute(f"INSERT INTO {table} (topic, width_ms, bucket_start, shard) VALUES ('new', %s, %s, 3)",
                             (width, start + count * width))
            # Each shard's rows go with that shard's next new bucket.
            left = conn.execute(f"SELECT width_ms, shard FROM {table} WHERE topic = 'old' ORDER BY 1, 2").fetchall()
            assert left == [(MINUTE, 4), (TEN_MINUTES, 4)]
            # A bucket still in the window is folded into shard -1 at its shard's roll-over, not lost.
            earlier = _start(now) - 5 * MINUTE
            conn.execute(f"INSERT INTO {table} (topic, width_ms, bucket_start, shard, failed) "
                         "VALUES ('fold', %s, %s, 7, 2), ('fold', %s, %s, 8, 3), ('fold', %s, %s, -1, 4)",
                         (MINUTE, earlier, MINUTE, earlier, MINUTE, earlier))
            before = store.rates("fold")[0]
            conn.execute(f"INSERT INTO {table} (topic, width_ms, bucket_start, shard) VALUES ('new', %s, %s, 7)",
                         (MINUTE, _start(now)))
            rows = conn.execute(f"SELECT shard, failed FROM {table} WHERE topic = 'fold' ORDER BY 1").fetchall()
            assert rows == [(-1, 6), (8, 3)]
            assert store.rates("fold")[0].buckets == before.buckets and _totals(before)[2] == 9
            assert conn.execute(f"SELECT count(*) FROM {table} WHERE topic = 'mail'").fetchone()[0] >= 2
    else:
        client = (redis.RedisCluster.from_url(store_url.replace("redis+cluster", "redis"))
                  if backend == "redis-cluster" else redis.Redis.from_url(store_url))
        try:
            keys = sorted(k.decode() for k in (
                client.scan_iter(match=f"{store.namespace}:*rate:*", target_nodes="all")
                if backend == "redis-cluster" else client.scan_iter(match=f"{store.namespace}:*rate:*")))
            assert len(keys) == 2
            for key in keys:
                width, start = (int(x) for x in key.rsplit(":", 2)[1:])
                count = RATE_RESOLUTIONS["minute" if width == MINUTE else "10min"][1]
                assert start == _start(task.created_at, width)
                # It expires exactly when it leaves the window.
                assert client.pexpiretime(key) == start + count * width
        finally:
            client.close()


def test_what_is_kept_is_bounded_by_topics_and_buckets(store, backend):
    """Many writes in one bucket keep one row (per shard) per width, not one per write."""
    tasks = _fill(store, "mail", 30)
    for _ in range(20):
        store.terminate(store.reserve_task("mail", "w").task_id, "w")
    per_bucket = Counter()
    if backend == "sqlite":
        conn = sqlite3.connect(store.path)
        rows = conn.execute(f"SELECT width_ms, bucket_start FROM {store.namespace}_rates").fetchall()
        conn.close()
    elif backend == "postgres":
        with psycopg.connect(PG_URL) as conn:
            rows = conn.execute(f'SELECT width_ms, bucket_start FROM "{store.namespace}".rates').fetchall()
    else:
        pytest.skip("Redis: one hash per bucket, which expires (the test above)")
    per_bucket.update(rows)
    widths = Counter(width for width, _ in per_bucket)
    # The writes span a bucket boundary at most (they take well under a minute),
    # and a bucket has a row per shard at most (PostgreSQL: 16).
    assert widths[MINUTE] <= 2 and widths[TEN_MINUTES] <= 2
    assert max(per_bucket.values()) <= (17 if backend == "postgres" else 1)  # 16 shards and -1
    assert len(tasks) == 30
