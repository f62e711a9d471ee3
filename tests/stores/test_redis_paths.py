"""Redis-only paths of the store: the direct script calls (``direct.py``) and
``apply_bulk``'s lookup of topics it remembered wrongly."""

from __future__ import annotations

import pytest
import redis

from stores.bulk import BulkItem
from stores.errors import WrongOwner
from tests.servers import REDIS_URL


@pytest.fixture(params=["redis"])
def backend(request) -> str:
    return request.param


def test_a_connection_the_server_closed_while_idle_is_replaced(make_store):
    store = make_store(lease_time_ms=60_000)
    store.create_tasks([{"topic": "mail"}, {"topic": "mail"}])
    first = store.reserve_task("mail", "w1")
    # The connection the next script call will use (the last one put back).
    conn_id = store._scripts._direct.execute("CLIENT", "ID")
    admin = redis.Redis.from_url(REDIS_URL)
    try:
        assert admin.client_kill_filter(_id=conn_id) == 1
    finally:
        admin.close()
    second = store.reserve_task("mail", "w1")  # reconnects: no error, nothing lost
    assert second is not None and second.task_id != first.task_id
    assert store.terminate(first.task_id, "w1").status == "terminated"


def test_an_error_reply_leaves_the_connection_usable(make_store):
    store = make_store()
    task = store.create_task({"topic": "mail"})
    assert store.reserve_task("mail", "w1").task_id == task.task_id
    with pytest.raises(WrongOwner):  # a refusal: the script's reply, read whole
        store.terminate(task.task_id, "someone-else")
    direct = store._scripts._direct
    with pytest.raises(redis.ResponseError):
        direct.execute("NOT-A-COMMAND")
    assert direct.execute("PING") in (True, "PONG")
    assert store.terminate(task.task_id, "w1").status == "terminated"


def test_bulk_finds_a_task_whose_remembered_topic_is_wrong(make_store):
    store = make_store(lease_time_ms=60_000)
    a, b = store.create_tasks([{"topic": "mail"}, {"topic": "jobs"}])
    # As after a purge and a create of the same id in another topic: the store's
    # memory of the id's topic is stale, and only the id's claim is right.
    store._known.update([(a.task_id, "jobs"), (b.task_id, "elsewhere")])
    results = store.apply_bulk("terminate", [BulkItem(a.task_id, 1), BulkItem(b.task_id, 1), BulkItem("gone", 1)])
    assert [(r.task_id, str(r.outcome)) for r in results] == [
        (a.task_id, "done"), (b.task_id, "done"), ("gone", "gone")
    ]
    assert results[0].task.topic == "mail" and results[1].task.topic == "jobs"
    assert store.task(a.task_id).status == "terminated"


def test_a_write_script_the_server_lost_is_loaded_and_run_once(tmp_path):
    """After SCRIPT FLUSH (or a restart without persistence) a write's EVALSHA
    is refused as NOSCRIPT: it did not run, so the store loads the script and
    sends it again, once; the task moves exactly one step."""
    from stores import open_store
    from tests.private_servers import PrivateRedis

    with PrivateRedis(tmp_path) as server:
        admin = redis.Redis.from_url(server.url)
        store = open_store(server.url, namespace="ns", timeout=5, lease_time_ms=60_000)
        try:
            task = store.create_task({"topic": "mail"})
            leased = store.reserve_task("mail", "w1")
            assert leased is not None
            admin.script_flush()  # a private server: nobody else's scripts
            done = store.terminate(leased.task_id, "w1")
            assert (done.status, done.record_ver) == ("terminated", task.record_ver + 2)
            assert store.task(task.task_id) == done
            # reserve.lua's command is packed once and kept: after a flush it
            # is loaded and sent again too.
            second = store.create_task({"topic": "mail"})
            admin.script_flush()
            again = store.reserve_task("mail", "w1")
            assert again is not None and (again.task_id, again.record_ver) == (second.task_id, 2)
            assert store.reserve_task("mail", "w1") is None
        finally:
            store.close()
            admin.close()


def test_direct_replies_are_decoded_as_the_client_decodes_them(make_store):
    """Direct reads replies with its own hiredis reader: text as str (the client's
    decode_responses), integers, nested arrays, nil, and error replies as
    redis-py's exception classes."""
    store = make_store()
    direct = store._scripts._direct
    reply = direct.execute("EVAL", "return {1, 'é', {2, 'x'}, false}", 0)
    assert reply == [1, "é", [2, "x"], None]
    with pytest.raises(redis.exceptions.NoScriptError):
        direct.execute("EVALSHA", "0" * 40, 0)
    assert direct.execute("ECHO", "still fine") == "still fine"


def test_meta_fields_are_the_layout_the_scripts_write(make_store):
    """``codec.META_FIELDS`` names the stored ``meta`` array as ``common.lua`` writes it."""
    import json

    from stores.redis.codec import META_FIELDS, meta_sub_topic

    store = make_store(lease_time_ms=60_000)
    store.create_task({"topic": "mail", "sub_topic": "urgent"})
    task = store.snooze(store.reserve_task("mail", "w1").task_id, "w1", 5_000)
    client = redis.Redis.from_url(REDIS_URL, decode_responses=True)
    try:
        meta = client.hget(store._keys.meta("mail"), task.task_id)
        assert isinstance(meta, str)
    finally:
        client.close()
    assert dict(zip(META_FIELDS, json.loads(meta), strict=True)) == {
        "status": "snoozed", "pid": None, "record_ver": task.record_ver, "error": None,
        "snooze_time": 5_000, "lease_expires_at": task.lease_expires_at, "created_at": task.created_at,
        "updated_at": task.updated_at, "sub_topic": "urgent",
    }
    assert meta_sub_topic(meta) == "urgent"


def test_tasks_from_replies_are_the_tasks_the_dataclass_makes():
    """``codec.task_from`` fills a ``Task``'s fields without its ``__init__``: the
    result must be what ``Task(...)`` makes (every field, equality, hash,
    immutability), so a field added to ``Task`` or a ``__post_init__`` fails here."""
    import dataclasses

    from stores.model import Task, TaskStatus
    from stores.redis.codec import task_from
    from stores.rows import parse_json as parse

    assert not hasattr(Task, "__post_init__") and not hasattr(Task, "__slots__")
    meta = '["running","w1",2,null,null,1700000060000,1700000000000,1700000000001,"urgent"]'
    static = '["g1","a task",30000,{"n":[1,2.5,"é",null,true]}]'
    made = task_from("t1", "mail", meta, static)
    expected = Task(
        "t1", "g1", "a task", "mail", "urgent", TaskStatus.RUNNING, "w1", 2, {"n": [1, 2.5, "é", None, True]},
        None, None, 30000, 1700000060000, 1700000000000, 1700000000001,
    )
    assert made == expected and hash(dataclasses.replace(made, data=None)) == hash(
        dataclasses.replace(expected, data=None))
    assert vars(made) == vars(expected) and list(vars(made)) == [f.name for f in dataclasses.fields(Task)]
    assert made.status is TaskStatus.RUNNING
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.pid = "w2"  # type: ignore[misc]
    assert task_from("t1", "mail", parse(meta), parse(static)) == expected
    with pytest.raises(ValueError):
        parse('[1] [2]')
    assert parse(' [1, {"a": null}]\n') == [1, {"a": None}]  # whitespace: json.loads' answer


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="needs fork")
def test_a_forked_child_takes_its_own_connection(make_store):
    """After a fork the child never writes to the parent's socket (an at-fork
    hook drops the parent's connections in the child): its commands go on a
    connection of its own, and the parent's keeps working."""
    import os

    store = make_store()
    direct = store._scripts._direct
    parent_id = direct.execute("CLIENT", "ID")
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report its connection's id, never run the parent's tests
        code = 1
        try:
            os.write(write, str(direct.execute("CLIENT", "ID")).encode())
            code = 0
        finally:
            os._exit(code)
    os.close(write)
    _, status = os.waitpid(pid, 0)
    child_id = int(os.read(read, 100) or b"0")
    os.close(read)
    assert os.waitstatus_to_exitcode(status) == 0 and child_id not in (0, parent_id)
    assert direct.execute("CLIENT", "ID") == parent_id
