"""Pausing a topic (``pause_topic``, ``resume_topic``, ``paused_topics``), on every
backend (Redis Cluster too): while a topic is paused nothing of it is reserved,
by any worker of any store; running tasks keep their leases; a timed pause ends
by itself on the store's clock; it is a write like any other (read-only stores
refuse it, the audit trail records it)."""

from __future__ import annotations

import logging
import threading
import time

import pytest

from stores import InvalidArgument, ReadOnlyStore, TaskStatus, TopicPause
from stores.audit import Operator, parse_pause_detail, pause_detail
from stores.worker import Worker
from tests.stores.clock import SHORT_LEASE_MS, wait_past

ALICE = Operator("alice", "ops-box", "sokka")


def _fill(store, topic, n, prefix=""):
    return store.create_tasks([{"task_id": f"{prefix}{topic}-{i}", "topic": topic} for i in range(n)])


def test_a_paused_topic_is_not_reserved_until_resumed(store):
    _fill(store, "mail", 3)
    _fill(store, "jobs", 1)
    assert store.paused_topics() == []
    before = store.now_ms()
    pause = store.pause_topic("mail", reason="mail server down [red]x[/]")
    assert isinstance(pause, TopicPause)
    assert (pause.topic, pause.until_ms, pause.reason, pause.paused_by) == (
        "mail", None, "mail server down [red]x[/]", "")
    assert before <= pause.paused_at <= store.now_ms()
    assert store.paused_topics() == [pause]
    assert store.reserve_task("mail", "w1") is None
    assert store.reserve_task("jobs", "w1").task_id == "jobs-0"  # other topics go on

    assert store.resume_topic("mail") == pause
    assert store.paused_topics() == []
    assert store.reserve_task("mail", "w1").task_id == "mail-0"
    assert store.resume_topic("mail") is None  # not paused: nothing to lift


def test_every_store_on_the_namespace_sees_the_pause_at_once(make_store):
    first = make_store(lease_time_ms=60_000)
    others = [make_store(namespace=first.namespace, lease_time_ms=60_000) for _ in range(2)]
    _fill(first, "mail", 5)
    first.pause_topic("mail")
    assert [s.reserve_task("mail", f"w{i}") for i, s in enumerate(others)] == [None, None]
    assert [p.topic for p in others[1].paused_topics()] == ["mail"]
    others[0].resume_topic("mail")
    assert first.reserve_task("mail", "w").task_id == "mail-0"


def test_leased_tasks_keep_their_leases_and_creates_go_on(store):
    _fill(store, "mail", 5)
    a, b, c, d = (store.reserve_task("mail", f"w-{n}") for n in range(4))
    store.pause_topic("mail", reason="deploy")
    assert store.extend_lease(a.task_id, "w-0") == "ok"
    assert store.terminate(a.task_id, "w-0").status is TaskStatus.TERMINATED
    assert store.fail(b.task_id, "w-1", "boom").status is TaskStatus.FAILED
    assert store.snooze(c.task_id, "w-2", 60_000).status is TaskStatus.SNOOZED
    assert store.revoke_lease(d.task_id, d.record_ver).status is TaskStatus.STARTING
    assert store.create_task({"task_id": "new", "topic": "mail"}).status is TaskStatus.STARTING
    assert store.reserve_task("mail", "w-9") is None
    assert store.task(d.task_id).status is TaskStatus.STARTING  # not taken by the refused reservation
    assert store.topics()[0].counts[TaskStatus.STARTING] == 3  # mail-4, the revoked one, new


def test_ended_leases_and_snoozes_wait_for_the_resume(short_store):
    store = short_store
    _fill(store, "mail", 2)
    running = store.reserve_task("mail", "w-1")
    snoozed = store.snooze(store.reserve_task("mail", "w-2").task_id, "w-2", SHORT_LEASE_MS)
    store.pause_topic("mail")
    wait_past(store, max(running.lease_expires_at, snoozed.lease_expires_at))
    assert store.reserve_task("mail", "w-3") is None  # both could be reserved, but not while paused
    store.resume_topic("mail")
    taken = {store.reserve_task("mail", "w-3").task_id, store.reserve_task("mail", "w-3").task_id}
    assert taken == {running.task_id, snoozed.task_id}


def test_a_timed_pause_ends_by_itself_on_the_store_clock(store):
    _fill(store, "mail", 1)
    pause = store.pause_topic("mail", for_ms=1_500, reason="brief")
    assert pause.until_ms == pause.paused_at + 1_500
    assert pause.left_ms(pause.paused_at) == 1_500 and pause.left_ms(pause.until_ms + 5) == 0
    assert store.reserve_task("mail", "w") is None
    assert [p.until_ms for p in store.paused_topics()] == [pause.until_ms]
    wait_past(store, pause.until_ms)
    assert store.paused_topics() == []
    assert store.reserve_task("mail", "w").task_id == "mail-0"
    assert store.resume_topic("mail") is None  # it had ended: nothing to lift


def test_until_ms_is_an_end_on_the_store_clock(store):
    _fill(store, "mail", 1)
    now = store.now_ms()
    assert store.pause_topic("mail", now - 1).until_ms == now - 1  # already over: no pause
    assert store.paused_topics() == []
    assert store.reserve_task("mail", "w") is not None
    _fill(store, "jobs", 1)
    until = store.now_ms() + 1_000
    store.pause_topic("jobs", until)
    assert store.reserve_task("jobs", "w") is None
    wait_past(store, until)
    assert store.reserve_task("jobs", "w").task_id == "jobs-0"


def test_pausing_again_replaces_the_pause(store):
    _fill(store, "mail", 1)
    store.pause_topic("mail", for_ms=1_000, reason="short")
    longer = store.pause_topic("mail", reason="until further notice")
    assert store.paused_topics() == [longer]
    time.sleep(1.2)
    assert store.reserve_task("mail", "w") is None  # the first pause's end no longer applies
    timed = store.pause_topic("mail", for_ms=1_000, reason="short again")
    assert store.paused_topics() == [timed]
    wait_past(store, timed.until_ms)
    assert store.reserve_task("mail", "w") is not None


def test_a_topic_may_be_paused_before_it_has_tasks(store):
    store.pause_topic("later", reason="not yet")
    assert [p.topic for p in store.paused_topics()] == ["later"]
    assert store.topics() == []  # a pause is not a task
    _fill(store, "later", 2)
    assert store.reserve_task("later", "w") is None
    store.resume_topic("later")
    assert store.reserve_task("later", "w").task_id == "later-0"


def test_paused_topics_are_listed_by_name(store):
    for topic in ("zeta", "alpha", "mid"):
        store.pause_topic(topic)
    store.resume_topic("mid")
    assert [p.topic for p in store.paused_topics()] == ["alpha", "zeta"]


def test_read_only_stores_refuse_pauses_but_see_them(make_store):
    writer = make_store()
    reader = make_store(namespace=writer.namespace, read_only=True)
    with pytest.raises(ReadOnlyStore, match="cannot pause topics"):
        reader.pause_topic("mail")
    writer.pause_topic("mail", reason="r")
    with pytest.raises(ReadOnlyStore, match="cannot resume topics"):
        reader.resume_topic("mail")
    assert [p.topic for p in reader.paused_topics()] == ["mail"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"topic": ""}, "topic must not be empty"),
        ({"topic": 7}, "topic must be text"),
        ({"topic": "t", "until_ms": 1, "for_ms": 1}, "not both"),
        ({"topic": "t", "for_ms": 0}, "for_ms must be a positive"),
        ({"topic": "t", "for_ms": 1.5}, "for_ms must be a positive"),
        ({"topic": "t", "until_ms": True}, "until_ms must be a time"),
        ({"topic": "t", "until_ms": 10**15}, "until_ms must be a time"),
        ({"topic": "t", "reason": 3}, "reason must be text"),
        ({"topic": "t", "reason": "a\x00b"}, "reason contains a NUL"),
        ({"topic": "t", "reason": "x" * 501}, "at most 500 characters"),
    ],
)
def test_bad_pauses_are_refused_before_the_server_is_asked(store, kwargs, message):
    with pytest.raises(InvalidArgument, match=message):
        store.pause_topic(**kwargs)
    assert store.paused_topics() == []


def test_pause_and_resume_are_audited_as_topic_records(make_store):
    operator = make_store(operator=ALICE)
    operator.create_task({"task_id": "t1", "topic": "mail"})
    pause = operator.pause_topic("mail", for_ms=600_000, reason="vendor outage ✉")
    assert pause.paused_by == "alice@ops-box"
    lifted = operator.resume_topic("mail")
    assert lifted == pause
    assert operator.resume_topic("mail") is None  # nothing lifted: nothing recorded
    resume, paused, create = operator.audit_log().data
    assert (create.action, create.task_id) == ("create", "t1")
    for entry in (paused, resume):
        assert (entry.task_id, entry.topic, entry.is_topic_record) == ("", "mail", True)
        assert (entry.status_before, entry.status_after, entry.record_ver_before, entry.record_ver_after) == (
            None, None, None, None)
        assert (entry.user, entry.host, entry.tool) == ("alice", "ops-box", "sokka")
    assert (paused.action, paused.at) == ("pause", pause.paused_at)
    assert paused.detail == pause_detail(pause.until_ms, "vendor outage ✉")
    assert parse_pause_detail(paused.detail) == (pause.paused_at + 600_000, "vendor outage ✉")
    assert (resume.action, resume.detail) == ("resume", "")
    assert resume.at >= paused.at
    assert not create.is_topic_record
    assert [e.action for e in operator.audit_log("t1").data] == ["create"]  # a task's trail has only its own


def test_a_pause_without_operator_is_not_recorded(make_store):
    worker = make_store()
    operator = make_store(namespace=worker.namespace, operator=ALICE)
    worker.pause_topic("mail", reason="quiet")
    worker.resume_topic("mail")
    assert operator.audit_log().data == []


def test_no_reservation_that_starts_after_the_pause_takes_a_task(make_store):
    """Many reservers on their own stores (as on many machines) hammer a topic;
    the pause lands in the middle. No reservation that started after
    ``pause_topic`` returned gets a task; after the resume they drain it."""
    first = make_store(lease_time_ms=60_000)
    _fill(first, "busy", 400)
    reservers = [make_store(namespace=first.namespace, lease_time_ms=60_000) for _ in range(4)]
    paused_at = [float("inf")]
    resuming_at = [float("inf")]  # when resume_topic was called
    resumed_at = [float("inf")]  # when it returned
    stop = threading.Event()
    late: list[tuple[str, str]] = []
    taken: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def reserve_loop(n, store):
        try:
            while not stop.is_set():
                started = time.monotonic()
                task = store.reserve_task("busy", f"w-{n}")
                if task is None:
                    if started > resumed_at[0]:
                        return  # drained after the resume
                    time.sleep(0.001)
                    continue
                with lock:
                    taken.append(task.task_id)
                    # Started after the pause and done before the resume began: a leak.
                    if paused_at[0] < started and time.monotonic() < resuming_at[0]:
                        late.append((f"w-{n}", task.task_id))
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=reserve_loop, args=(n, s)) for n, s in enumerate(reservers)]
    for thread in threads:
        thread.start()
    try:
        deadline = time.monotonic() + 20
        while len(taken) < 50 and time.monotonic() < deadline:
            time.sleep(0.005)
        first.pause_topic("busy", reason="mid-flight")
        paused_at[0] = time.monotonic()
        count_at_pause = len(taken)
        time.sleep(0.5)
        in_pause = len(taken) - count_at_pause
        assert late == []
        resuming_at[0] = time.monotonic()
        first.resume_topic("busy")
        resumed_at[0] = time.monotonic()
        for thread in threads:
            thread.join(timeout=60)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=10)
    assert errors == []
    assert in_pause <= len(reservers)  # at most the calls already in flight when it was paused
    assert late == []
    assert sorted(taken) == sorted(f"busy-{i}" for i in range(400))  # each once, all of them


def test_pausing_while_reservers_race_never_leaks_a_task(make_store):
    """Pauses and resumes from several stores at once, against reservers: while
    a pause is on (between a pause call's return and the next resume call), no
    reservation that starts then takes a task."""
    first = make_store(lease_time_ms=60_000)
    _fill(first, "race", 300)
    reservers = [make_store(namespace=first.namespace, lease_time_ms=60_000) for _ in range(3)]
    pausers = [make_store(namespace=first.namespace) for _ in range(2)]
    window = {"on": False, "since": 0.0}
    late: list[str] = []
    stop = threading.Event()
    errors: list[BaseException] = []

    def reserve_loop(n, store):
        try:
            while not stop.is_set():
                on, since = window["on"], window["since"]
                started = time.monotonic()
                task = store.reserve_task("race", f"w-{n}")
                if task is not None and on and window["on"] and window["since"] == since and started > since:
                    late.append(task.task_id)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=reserve_loop, args=(n, s)) for n, s in enumerate(reservers)]
    for thread in threads:
        thread.start()
    try:
        for round_ in range(6):
            pauser = pausers[round_ % 2]
            pauser.pause_topic("race", reason=f"round {round_}")
            window["since"] = time.monotonic()
            window["on"] = True
            time.sleep(0.15)
            window["on"] = False
            pausers[(round_ + 1) % 2].resume_topic("race")
            time.sleep(0.05)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=10)
    assert errors == []
    assert late == []


def test_workers_idle_while_paused_and_resume_by_themselves(store, caplog):
    caplog.set_level(logging.INFO, logger="stores")
    done: list[str] = []
    store.pause_topic("work", reason="hold")
    _fill(store, "work", 3)
    with Worker(store, "work", lambda task: done.append(task.task_id), max_poll_interval_ms=50):
        time.sleep(0.6)
        assert done == []
        assert {t.status for t in store.list_tasks({"topic": "work"}).data} == {TaskStatus.STARTING}
        store.resume_topic("work")
        deadline = time.monotonic() + 10
        while len(done) < 3 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert sorted(done) == ["work-0", "work-1", "work-2"]
        store.pause_topic("work", for_ms=800)
        _fill(store, "work", 1, prefix="late-")
        time.sleep(0.3)
        assert len(done) == 3  # paused again, this time for a while
        deadline = time.monotonic() + 10
        while len(done) < 4 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert done[-1] == "late-work-0"  # the pause ended by itself and the worker went on
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []
