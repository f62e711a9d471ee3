"""Read-only enforced by the server: a PostgreSQL role with only SELECT on the
namespace, and a Redis ACL user allowed only read commands, can read everything;
a write attempted anyway is one clean ``ReadOnlyStore`` and changes nothing."""

from __future__ import annotations

import pytest

import stores
from stores import ReadOnlyStore, TaskStoreError
from stores.bulk import BulkAction, BulkItem
from stores.rules import Write
from stores.validation import validate_new_task
from tests.server_users import read_only_url, redis_read_only_user

pytestmark = pytest.mark.parametrize("backend", ["postgres", "redis", "redis-cluster"])


def _fill(store) -> None:
    store.create_tasks([
        {"task_id": f"job-{i}", "topic": "mail" if i % 2 else "pay", "sub_topic": f"s{i % 3}",
         "task_group_id": "g1" if i < 4 else None, "data": {"i": i}}
        for i in range(10)
    ])
    running = store.reserve_task("mail", "w1")
    snoozed = store.reserve_task("mail", "w2")
    store.snooze(snoozed.task_id, "w2", 60_000)
    failed = store.reserve_task("pay", "w3")
    store.fail(failed.task_id, "w3", "boom")
    store.pause_topic("pay", reason="held")
    assert running is not None


def _rates(rates) -> list:
    """The rates read, but for the clock they were read at (and the empty buckets)."""
    return [(r.topic, r.width_ms, [b for b in r.buckets if b != type(b)(b.start_ms)]) for r in rates]


def _everything(store) -> tuple:
    """What every read of the protocol returns: to compare a reader with the writer,
    and the data before and after a refused write."""
    tasks = list(stores.scroll(lambda c: store.list_tasks({}, c), {"limit": 3}))
    return (
        tasks,
        [store.task(t.task_id) for t in tasks],
        store.tasks("g1"),
        store.list_tasks({"topic": "mail", "status": "running"}, {"limit": 10}).data,
        store.list_tasks({"topic": "mail", "sub_topic": "s1"}, {"limit": 10}).data,
        store.list_tasks({"from_ms": 0, "to_ms": 10**13}, {"limit": 10}).data,
        list(stores.scroll(lambda c: store.list_leased_tasks(None, c), {"limit": 1})),
        store.list_leased_tasks("mail", {"limit": 10}).data,
        store.topics(),
        store.paused_topics(),
        _rates(store.rates()),
        _rates(store.rates("mail", resolution="10min")),
    )


@pytest.fixture
def writer(make_store):
    store = make_store(lease_time_ms=60_000)
    _fill(store)
    return store


@pytest.fixture
def reader_url(backend, writer):
    with read_only_url(backend, writer.namespace) as url:
        yield url


def _open(url, namespace, **options):
    return stores.open_store(url, namespace=namespace, timeout=5, **options)


def test_a_read_only_user_reads_everything(writer, reader_url):
    with _open(reader_url, writer.namespace, read_only=True) as reader:
        assert _everything(reader) == _everything(writer)
        assert abs(reader.now_ms() - writer.now_ms()) < 5_000


def _public_writes(store, running):
    task_id, ver = running.task_id, running.record_ver
    return {
        "create_task": lambda: store.create_task({"topic": "mail"}),
        "create_tasks": lambda: store.create_tasks([{"topic": "mail"}, {"topic": "new-topic"}]),
        "reserve_task": lambda: store.reserve_task("pay", "intruder"),
        "extend_lease": lambda: store.extend_lease(task_id, running.pid),
        "terminate": lambda: store.terminate(task_id, running.pid),
        "fail": lambda: store.fail(task_id, running.pid, "x"),
        "snooze": lambda: store.snooze(task_id, running.pid, 1_000),
        "revoke_lease": lambda: store.revoke_lease(task_id, ver),
        "apply_bulk": lambda: store.apply_bulk("terminate", [BulkItem(task_id, ver, running.pid)]),
        "pause_topic": lambda: store.pause_topic("mail", reason="x"),
        "resume_topic": lambda: store.resume_topic("pay"),
    }


def _primitive_writes(store, running):
    """The backend's own write primitives, past the client-side read-only guard."""
    task_id, ver = running.task_id, running.record_ver
    return {
        "_insert": lambda: store._insert([validate_new_task({"topic": "mail"})]),
        "_reserve": lambda: store._reserve("pay", "intruder"),
        "_extend": lambda: store._extend(task_id, running.pid, None),
        "_write": lambda: store._write(task_id, Write.TERMINATE, running.pid, ver, error="", snooze_ms=0),
        "_revoke": lambda: store._revoke(task_id, ver),
        "_apply_bulk": lambda: store._apply_bulk(
            BulkAction.REVOKE, [BulkItem(task_id, ver)], error="", snooze_ms=1000
        ),
        "_pause": lambda: store._pause("mail", None, None, "x"),
        "_resume": lambda: store._resume("pay"),
    }


def _assert_refused(name: str, call, secret: str | None) -> None:
    with pytest.raises(TaskStoreError) as caught:
        call()
    error = caught.value
    assert isinstance(error, ReadOnlyStore), f"{name}: {error!r}"
    message = str(error)
    assert "\n" not in message and message
    if secret:
        assert secret not in message


def _password(url: str) -> str | None:
    from urllib.parse import urlsplit

    return urlsplit(url).password


def test_a_writable_store_through_a_read_only_user_opens_read_only(backend, writer, reader_url):
    """Opened without read_only, the store finds (before writing anything) that its
    credentials may only read: it is read-only and says why, reads everything,
    refuses each write before sending it, and the server would refuse it too."""
    before = _everything(writer)
    running = next(t for t in before[0] if t.status == "running")
    with _open(reader_url, writer.namespace) as store:
        assert store.read_only
        who = "role" if backend == "postgres" else "user"
        assert store.read_only_reason == f"this {who} may only read"
        assert store.warnings == ()
        assert _everything(store) == before
        for name, call in _public_writes(store, running).items():
            _assert_refused(name, call, _password(reader_url))
            with pytest.raises(ReadOnlyStore, match=f"this {who} may only read"):
                call()
        for name, call in _primitive_writes(store, running).items():
            _assert_refused(name, call, _password(reader_url))
        assert _everything(store) == before
        assert store.identity() == writer.identity() is not None
    assert _everything(writer) == before


def test_write_primitives_past_the_guard_are_refused_by_the_server(writer, reader_url):
    """A read-only store whose client-side guard is skipped: the server still refuses."""
    before = _everything(writer)
    running = next(t for t in before[0] if t.status == "running")
    with _open(reader_url, writer.namespace, read_only=True) as store:
        for name, call in _primitive_writes(store, running).items():
            _assert_refused(name, call, _password(reader_url))
    assert _everything(writer) == before


def test_a_read_only_user_cannot_create_a_namespace(backend, writer):
    from tests.servers import new_namespace

    with read_only_url(backend, writer.namespace) as url:
        for read_only in (True, False):
            with pytest.raises(stores.StoreUnavailable) as caught:
                _open(url, new_namespace("absent"), read_only=read_only)
            password = _password(url)
            assert password is None or password not in str(caught.value)


def test_postgres_read_only_session_refuses_writes_of_any_role(backend, make_store, writer):
    """Even a role that may write cannot, through a read-only store: the session is read-only."""
    if backend != "postgres":
        pytest.skip("Redis has no read-only session; the ACL user above is its server-side guard")
    before = _everything(writer)
    running = next(t for t in before[0] if t.status == "running")
    store = make_store(read_only=True, namespace=writer.namespace)
    for name, call in _primitive_writes(store, running).items():
        _assert_refused(name, call, None)
    assert _everything(writer) == before


def test_redis_reader_may_not_even_load_scripts(backend, tmp_path):
    """On a server that has never seen the read scripts, a user without SCRIPT LOAD
    still reads: the scripts go whole, as EVAL_RO."""
    if backend != "redis":
        pytest.skip("a private single Redis server; the cluster's readers load scripts as on one server")
    import redis

    from tests.private_servers import PrivateRedis

    with PrivateRedis(tmp_path) as server:
        admin = redis.Redis.from_url(server.url)
        writer = stores.open_store(server.url, namespace="ns", timeout=5)
        try:
            _fill(writer)
            admin.script_flush()  # a private server: no script is loaded now
            with redis_read_only_user("ns", server_url=server.url) as url, \
                    _open(url, "ns", read_only=True) as reader:
                assert reader._scripts._may_load
                seen = _everything(reader)
                assert not reader._scripts._may_load  # SCRIPT LOAD was refused: EVAL_RO it was
            assert seen == _everything(writer)
        finally:
            writer.close()
            admin.close()
