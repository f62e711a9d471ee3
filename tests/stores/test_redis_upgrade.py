"""Redis schema 1 -> 2: a namespace written in the schema 1 layout (``keys.py``)
is upgraded in place by a writable open, and refused with one line by a
read-only one.

The schema 1 layout is rebuilt here by hand from the tasks' stored state: the
``u`` and ``u:t:<sub>`` indexes, the ``counts`` hash, the ``z:running`` /
``z:snoozed`` zsets and the ``leased`` index, without the schema 2 lease
indexes."""

from __future__ import annotations

import json

import pytest

from stores.errors import StoreUnavailable
from stores.redis import store as redis_store
from stores.redis.keys import lex


@pytest.fixture(params=["redis", "redis-cluster"])
def backend(request) -> str:
    return request.param


def _as_schema_1(store) -> None:
    """Turn ``store``'s namespace into what schema 1 kept for the same tasks."""
    client, keys = store._client, store._keys
    for topic in client.smembers(keys.topics):
        prefix = keys.topic(topic)
        counts: dict[str, int] = {}
        for task_id, text in client.hgetall(prefix + "meta").items():
            status, _pid, _ver, _err, _snooze, lease, _created, updated, sub = json.loads(text)
            member = lex(updated, task_id)
            client.zadd(prefix + "u", {member: 0})
            client.zadd(prefix + f"u:t:{sub}", {member: 0})
            counts[status] = counts.get(status, 0) + 1
            if status in ("running", "snoozed"):
                client.zadd(prefix + f"z:{status}", {task_id: lease})
                client.zadd(prefix + "leased", {lex(lease, task_id): 0})
        client.hset(prefix + "counts", mapping=counts)
        client.delete(prefix + "l:running", prefix + "l:snoozed")
    client.set(keys.schema, "1")


#: Every key schema 1 kept for the tasks of this test that schema 2 does not.
_SCHEMA_1_ONLY = ("u", "counts", "leased", "z:running", "z:snoozed", "u:t:a", "u:t:b", "u:t:x", "u:t:y")


def _topic_keys(store, topic: str) -> set[str]:
    """Which of ``_SCHEMA_1_ONLY`` exist in ``topic`` (no SCAN: the server is shared)."""
    prefix = store._keys.topic(topic)
    return {suffix for suffix in _SCHEMA_1_ONLY if store._client.exists(prefix + suffix)}


def test_schema_1_is_upgraded_in_place(make_store, monkeypatch):
    writer = make_store(lease_time_ms=60_000)
    created = writer.create_tasks(
        [{"topic": topic, "sub_topic": sub, "data": {"i": i}}
         for i, (topic, sub) in enumerate([("mail", "a"), ("mail", "b"), ("mail", "a"), ("jobs", "x"),
                                            ("jobs", "x"), ("jobs", "y"), ("mail", "b")])]
    )
    running = writer.reserve_task("mail", "w1")
    snoozed = writer.reserve_task("jobs", "w2")
    writer.snooze(snoozed.task_id, "w2", 5_000)
    writer.terminate(writer.reserve_task("mail", "w3").task_id, "w3")
    before_list = writer.list_tasks({}, {"limit": 100}).data
    before_leased = writer.list_leased_tasks(None, {"limit": 100}).data
    before_topics = writer.topics()
    _as_schema_1(writer)
    assert _topic_keys(writer, "mail") == {"u", "counts", "leased", "z:running", "u:t:a", "u:t:b"}
    assert _topic_keys(writer, "jobs") == {"u", "counts", "leased", "z:snoozed", "u:t:x", "u:t:y"}

    namespace = writer.namespace
    with pytest.raises(StoreUnavailable, match=r"schema version 1.*without read_only to upgrade"):
        make_store(namespace=namespace, read_only=True)

    monkeypatch.setattr(redis_store, "_UPGRADE_STEP", 1)  # many steps: the loop resumes each time
    upgraded = make_store(namespace=namespace, lease_time_ms=60_000)
    assert upgraded._client.get(upgraded._keys.schema) == str(redis_store.SCHEMA_VERSION) == "3"
    for topic in ("mail", "jobs"):
        assert _topic_keys(upgraded, topic) == set()
    assert upgraded._client.zrange(upgraded._keys.topic("mail") + "l:running", 0, -1) == [
        lex(running.lease_expires_at, running.task_id)
    ]
    assert upgraded._client.zrange(upgraded._keys.topic("jobs") + "l:snoozed", 0, -1) == [
        lex(writer.task(snoozed.task_id).lease_expires_at, snoozed.task_id)
    ]

    # Every read answers as before the upgrade, and writes go on.
    assert upgraded.list_tasks({}, {"limit": 100}).data == before_list
    assert upgraded.list_leased_tasks(None, {"limit": 100}).data == before_leased
    assert upgraded.topics() == before_topics
    assert [t.task_id for t in upgraded.list_tasks({"topic": "mail", "sub_topic": "b"}).data] == [
        t.task_id for t in before_list if t.topic == "mail" and t.sub_topic == "b"
    ]
    done = upgraded.terminate(running.task_id, "w1")
    assert done.status == "terminated"
    assert upgraded.topics()[1].counts["running"] == 0
    assert {t.task_id for t in created} == {t.task_id for t in upgraded.list_tasks({}, {"limit": 100}).data}

    # A read-only open now finds the current schema.
    reader = make_store(namespace=namespace, read_only=True)
    assert reader.task(running.task_id).status == "terminated"


def test_schema_2_is_upgraded_to_3_without_moving_anything(make_store):
    """Schema 2 -> 3 adds only the topics' pause keys (absent: not paused); a
    read-only open of schema 2 is refused, as its reservations know no pauses."""
    writer = make_store(lease_time_ms=60_000)
    writer.create_tasks([{"task_id": f"j{i}", "topic": "mail"} for i in range(3)])
    writer._client.set(writer._keys.schema, "2")
    with pytest.raises(StoreUnavailable, match=r"schema version 2.*without read_only to upgrade"):
        make_store(namespace=writer.namespace, read_only=True)
    upgraded = make_store(namespace=writer.namespace, lease_time_ms=60_000)
    assert upgraded._client.get(upgraded._keys.schema) == "3"
    assert upgraded.reserve_task("mail", "w").task_id == "j0"
    upgraded.pause_topic("mail", reason="after the upgrade")
    assert upgraded.reserve_task("mail", "w") is None
    reader = make_store(namespace=writer.namespace, read_only=True)
    assert [p.topic for p in reader.paused_topics()] == ["mail"]
