"""``sokka watch``: line-mode leases, one block a tick, ctrl+c exits 0."""

from __future__ import annotations

import re
import time

from sokka_tui.ops import watch


def test_once_prints_one_block(sokka, make_store, store):
    short = make_store(lease_time_ms=200)
    short.create_tasks([{"topic": "mail", "data": 1}, {"topic": "mail", "data": 2}])
    stuck = short.reserve_task("mail", "dead")
    live = short.reserve_task("mail", "alive")
    store.extend_lease(live.task_id, "alive")  # now a 60 s lease
    time.sleep(0.4)
    result = sokka("watch", "--once")
    assert result.code == 0 and result.err == ""
    header, columns, *rows = result.out.strip().splitlines()
    assert re.match(r"── \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} UTC · all topics · running 2, snoozed 0, STUCK 1 ──",
                    header), header
    assert columns.startswith("ID")
    assert rows[0].startswith(stuck.task_id) and "STUCK" in rows[0] and "dead" in rows[0]
    assert rows[1].startswith(live.task_id) and "expires in" in rows[1]
    only = sokka("watch", "other", "--once")
    assert "topic 'other'" in only.out and "no leased task" in only.out


def test_ticks_until_ctrl_c(sokka, store, monkeypatch):
    store.create_task({"topic": "t", "data": 1})
    store.reserve_task("t", "w")
    ticks = []

    def sleep(seconds):
        ticks.append(seconds)
        if len(ticks) == 3:
            raise KeyboardInterrupt

    monkeypatch.setattr(watch.time, "sleep", sleep)
    result = sokka("watch", "--interval", "0.5")
    assert result.code == 0 and result.err == ""
    assert result.out.count("── ") == 3
    assert all(0 <= s <= 0.5 for s in ticks)


def test_limit_says_how_many_more(sokka, store):
    store.create_tasks({"topic": "t", "data": i} for i in range(5))
    for _ in range(5):
        store.reserve_task("t", "w")
    result = sokka("watch", "--once", "--limit", "2")
    assert "… and 3 more (--limit)" in result.out
