"""The console's own history of queue latency: the longest wait per bucket,
unsampled buckets told apart from zero waits, bounded to the rates' windows."""

from __future__ import annotations

from sokka_tui.latency import LatencyHistory
from stores import TASK_STATUSES, TopicStats

T0 = 1_795_000_000_000 - 1_795_000_000_000 % 600_000  # a 10-minute boundary
MIN = 60_000


def stats(topic: str, oldest: int | None) -> TopicStats:
    return TopicStats(topic, dict.fromkeys(TASK_STATUSES, 0), 0, oldest)


def test_each_minute_keeps_the_longest_wait_seen_in_it():
    history = LatencyHistory()
    history.record(T0 + 1_000, [stats("mail", T0 - 4_000), stats("idle", None)])
    history.record(T0 + 30_000, [stats("mail", T0 - 4_000), stats("idle", None)])  # 34 s
    history.record(T0 + 50_000, [stats("mail", T0 + 45_000), stats("idle", None)])  # 5 s: shorter
    history.record(T0 + MIN + 1_000, [stats("mail", None)])
    series = history.series("mail", MIN, T0 + MIN + 2_000)
    assert len(series) == 60
    assert series[-2:] == [34_000, 0]  # nothing waiting in the current minute: a zero wait
    assert series[:-2] == [None] * 58  # before the console opened: not known
    assert history.series("idle", MIN, T0 + MIN + 2_000)[-2:] == [0, 0]
    assert history.since_ms == T0 + 1_000
    assert history.latest == {}


def test_ten_minute_buckets_fill_from_the_same_samples():
    history = LatencyHistory()
    history.record(T0 + 1_000, [stats("mail", T0 - 9_000)])
    history.record(T0 + 5 * MIN, [stats("mail", T0 - 9_000)])
    series = history.series("mail", 600_000, T0 + 5 * MIN)
    assert len(series) == 144
    assert series[-1] == 5 * MIN + 9_000
    assert history.latest == {"mail": 5 * MIN + 9_000}


def test_buckets_older_than_the_window_are_dropped():
    history = LatencyHistory()
    for minute in range(200):
        history.record(T0 + minute * MIN, [stats(f"t{minute}", T0 + minute * MIN - 1_000)])
    minutes = history._widths[MIN]
    assert len(minutes.sampled) == 60
    assert len(minutes.longest) == 60  # only the topics that waited within the hour
    assert history.series("t0", MIN, T0 + 199 * MIN) == [0] * 60  # sampled, and t0 had nothing waiting
