"""failure_groups: a topic's failed tasks grouped by their error key (the first
line of the error; for a Python traceback, its last line: the exception),
bounded on every backend, and the task listing of one group (the error_key filter)."""

from __future__ import annotations

import pytest

from stores import FailureGroup, InvalidArgument, scroll
from stores.failures import error_key
from tests.stores.clock import wait_past


def failed(store, topic, errors):
    """One failed task per error in ``errors``, in order, each a millisecond after the previous."""
    out = []
    for error in errors:
        if out:
            wait_past(store, out[-1].updated_at)
        task = store.create_task({"topic": topic})
        reserved = store.reserve_task(topic, "w")
        assert reserved.task_id == task.task_id
        out.append(store.fail(task.task_id, "w", error))
    return out


def traceback(exception: str, where: str = "work") -> str:
    """A Python traceback's text, as ``traceback.format_exc()`` writes it."""
    return (
        "Traceback (most recent call last):\n"
        f'  File "/srv/app/jobs.py", line 12, in {where}\n'
        "    handle(task)\n"
        f"{exception}\n"
    )


def test_error_key_is_the_first_line():
    assert error_key("boom\nTraceback ...\n  line 3") == "boom"
    assert error_key(None) == error_key("") == ""
    assert error_key("\nsecond") == ""
    assert error_key("a\r\nb") == "a\r"  # a line ends at its line feed only


def test_error_key_of_a_python_traceback_is_its_exception_line():
    assert error_key(traceback("ValueError: bad id 7")) == "ValueError: bad id 7"
    assert error_key(traceback("KeyError: 'x'") + "\n \t\r\n") == "KeyError: 'x'"  # trailing blank lines
    chained = traceback("KeyError: 'x'") + "\nDuring handling of the above exception, another exception occurred:\n\n"
    assert error_key(chained + traceback("RuntimeError: gave up")) == "RuntimeError: gave up"
    assert error_key("Traceback (most recent call last):") == "Traceback (most recent call last):"
    assert error_key("Traceback (most recent call last):\n\n") == "Traceback (most recent call last):"
    assert error_key("Traceback (most recent call last) of a job\nlast") == "Traceback (most recent call last) of a job"
    assert error_key("  " + traceback("E: x")) == "  Traceback (most recent call last):"  # the header starts the text


def test_tracebacks_group_by_their_exception(store):
    errors = [
        traceback("ValueError: bad id", "a"), traceback("TimeoutError: smtp", "b"),
        traceback("ValueError: bad id", "c") + "\n\n", "ValueError: bad id", traceback("TimeoutError: smtp ü€", "d"),
    ]
    tasks = failed(store, "ft", errors)
    result = store.failure_groups("ft")
    assert {g.error_key: g.count for g in result.groups} == {
        "ValueError: bad id": 3, "TimeoutError: smtp": 1, "TimeoutError: smtp ü€": 1}
    assert result.groups[0].sample_task_id == tasks[3].task_id
    listed = store.list_tasks({"topic": "ft", "error_key": "ValueError: bad id"}).data
    assert [t.task_id for t in listed] == [tasks[3].task_id, tasks[2].task_id, tasks[0].task_id]
    assert store.list_tasks({"topic": "ft", "error_key": "Traceback (most recent call last):"}).data == []


def test_groups_by_first_line(store):
    tasks = failed(store, "fg", ["timeout\nat a", "bad input", "timeout\nat b", "timeout", "", None])
    store.create_task({"topic": "fg"})  # not failed: not counted
    failed(store, "other", ["timeout"])  # another topic: not counted
    result = store.failure_groups("fg")
    assert result.topic == "fg" and result.complete and result.scanned == 6
    assert result.group_count == 3
    timeout, empty, bad = result.groups
    assert timeout == FailureGroup("timeout", 3, tasks[0].updated_at, tasks[3].updated_at, tasks[3].task_id)
    assert (empty.error_key, empty.count, empty.sample_task_id) == ("", 2, tasks[5].task_id)
    assert (bad.error_key, bad.count, bad.first_seen_ms, bad.last_seen_ms) == (
        "bad input", 1, tasks[1].updated_at, tasks[1].updated_at)


def test_limits_bound_the_scan_and_say_so(store):
    tasks = failed(store, "fb", ["a", "a", "b", "c", "c", "c"])
    newest = store.failure_groups("fb", scan_limit=3)
    assert not newest.complete and newest.scanned == 3 and newest.scan_limit == 3
    assert {g.error_key: g.count for g in newest.groups} == {"c": 3}
    assert store.failure_groups("fb", scan_limit=6).complete
    top = store.failure_groups("fb", limit=2)
    assert [g.error_key for g in top.groups] == ["c", "a"] and top.group_count == 3
    assert store.failure_groups("nothing-here").groups == ()
    assert tasks


def test_list_one_group(store):
    tasks = failed(store, "fl", ["x\n1", "y", "x\n2", "x [/] \x1b[2J", "x"])
    page = store.list_tasks({"topic": "fl", "error_key": "x"}, {"limit": 1})
    assert page.data == [tasks[4]]
    ids = [t.task_id for t in scroll(lambda c: store.list_tasks({"topic": "fl", "error_key": "x"}, c), {"limit": 1})]
    assert ids == [tasks[4].task_id, tasks[2].task_id, tasks[0].task_id]
    hostile = store.list_tasks({"topic": "fl", "status": "failed", "error_key": "x [/] \x1b[2J"})
    assert hostile.data == [tasks[3]]
    assert store.list_tasks({"topic": "fl", "error_key": "x%"}).data == []  # exact, not LIKE
    assert store.list_tasks({"topic": "fl", "error_key": "'; DROP TABLE x; --"}).data == []


def test_bad_arguments(store):
    for call in (
        lambda: store.failure_groups(""),
        lambda: store.failure_groups("t", limit=0),
        lambda: store.failure_groups("t", scan_limit=10**9),
        lambda: store.failure_groups("t", limit=True),
        lambda: store.list_tasks({"error_key": "x"}),
        lambda: store.list_tasks({"topic": "t", "status": "running", "error_key": "x"}),
        lambda: store.list_tasks({"topic": "t", "error_key": "two\nlines"}),
        lambda: store.list_tasks({"topic": "t", "error_key": 3}),
    ):
        with pytest.raises(InvalidArgument):
            call()


def test_read_only_store_may_read_groups(store, make_store):
    failed(store, "fr", ["e"])
    reader = make_store(read_only=True, namespace=store.namespace)
    assert reader.failure_groups("fr").groups[0].count == 1
