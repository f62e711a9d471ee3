"""Opening stores: URLs, options, namespaces, read-only, unreachable servers."""

from __future__ import annotations

import socket
import threading
import time

import pytest

import stores
from stores import InvalidArgument, ReadOnlyStore, StoreUnavailable
from tests.servers import PG_URL, REDIS_URL, new_namespace


def test_namespaces_do_not_see_each_other(make_store):
    one = make_store(namespace=new_namespace("a"))
    two = make_store(namespace=new_namespace("b"))
    task = one.create_task({"task_id": "same-id", "topic": "shared"})
    assert two.task("same-id") is None
    assert two.topics() == [] and two.list_tasks({}, {"limit": 10}).data == []
    assert two.reserve_task("shared", "w") is None
    two.create_task({"task_id": "same-id", "topic": "shared"})  # no clash across namespaces
    assert one.task("same-id") == task


def test_schema_creation_is_idempotent_and_concurrent(make_store):
    namespace = new_namespace("c")
    errors = []

    def open_one():
        try:
            make_store(namespace=namespace)
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=open_one) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    store = make_store(namespace=namespace)
    store.create_task({"topic": "x"})
    assert len(make_store(namespace=namespace).list_tasks({}, {"limit": 5}).data) == 1


def test_read_only_refuses_every_write_and_writes_nothing(make_store):
    writer = make_store()
    task = writer.create_task({"topic": "ro"})
    running = writer.reserve_task("ro", "w")
    reader = make_store(read_only=True)
    assert reader.task(task.task_id) == running
    assert reader.read_only
    for call in (
        lambda: reader.create_task({"topic": "ro"}),
        lambda: reader.reserve_task("ro", "w"),
        lambda: reader.extend_lease(task.task_id, "w"),
        lambda: reader.terminate(task.task_id, "w"),
        lambda: reader.fail(task.task_id, "w"),
        lambda: reader.snooze(task.task_id, "w", 1000),
        lambda: reader.revoke_lease(task.task_id, running.record_ver),
    ):
        with pytest.raises(ReadOnlyStore) as caught:
            call()
        assert caught.value.code == "read-only"
    assert writer.task(task.task_id) == running
    assert [t.task_id for t in reader.list_leased_tasks(None, {"limit": 5}).data] == [task.task_id]
    assert reader.topics()[0].counts["running"] == 1


def test_read_only_never_creates_a_schema(make_store, backend):
    namespace = new_namespace("missing")
    with pytest.raises(StoreUnavailable) as caught:
        make_store(namespace=namespace, read_only=True)
    assert namespace in str(caught.value)
    # and nothing was created: a writer still finds an empty namespace
    assert make_store(namespace=namespace).topics() == []


def test_bad_urls_and_options():
    for url in ("", "nonsense", "mysql://localhost/db", "http://x", 5):
        with pytest.raises(InvalidArgument):
            stores.open_store(url)  # type: ignore[arg-type]
    for options in (
        {"lease_time_ms": 0}, {"lease_time_ms": "60s"}, {"snooze_time_ms": -5},
        {"namespace": "bad-name"}, {"namespace": ""}, {"namespace": "x; DROP"},
        {"read_only": "yes"}, {"timeout": 0}, {"colour": "red"},
    ):
        with pytest.raises(InvalidArgument):
            stores.open_store("sqlite://:memory:", **options)


def test_store_is_a_context_manager(store_url, backend):
    namespace = new_namespace("cm")
    with stores.open_store(store_url, namespace=namespace) as store:
        store.create_task({"topic": "x"})
        assert isinstance(store, stores.TaskStore) and isinstance(store, stores.LeaseSupervision)
    from tests.servers import drop_namespace

    drop_namespace(backend, namespace)


@pytest.fixture
def black_hole():
    """A loopback port that accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    accepted = []
    stop = threading.Event()

    def accept():
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join()
    for conn in accepted:
        conn.close()
    server.close()


def _closed_port() -> int:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return port


def _urls(port: int) -> list[str]:
    return [
        f"postgresql://root:s3cret-pw@127.0.0.1:{port}/test",
        f"redis://:s3cret-pw@127.0.0.1:{port}/0",
    ]


@pytest.mark.parametrize("which", [0, 1], ids=["postgres", "redis"])
def test_refused_connection_is_store_unavailable(which):
    url = _urls(_closed_port())[which]
    started = time.monotonic()
    with pytest.raises(StoreUnavailable) as caught:
        stores.open_store(url, timeout=2)
    assert time.monotonic() - started < 5
    assert "s3cret-pw" not in str(caught.value) and caught.value.code == "store-unavailable"
    assert caught.value.__cause__ is not None


@pytest.mark.parametrize("which", [0, 1], ids=["postgres", "redis"])
def test_silent_server_times_out(black_hole, which):
    url = _urls(black_hole)[which]
    started = time.monotonic()
    with pytest.raises(StoreUnavailable) as caught:
        stores.open_store(url, timeout=2)
    assert time.monotonic() - started < 8
    assert "s3cret-pw" not in str(caught.value)


@pytest.mark.postgres
@pytest.mark.redis
def test_wrong_database_and_password_are_store_unavailable():
    bad_db = PG_URL.rsplit("/", 1)[0] + "/no_such_database_xyz"
    with pytest.raises(StoreUnavailable):
        stores.open_store(bad_db, timeout=3)
    with pytest.raises(StoreUnavailable) as caught:
        scheme, rest = REDIS_URL.split("://", 1)
        stores.open_store(f"{scheme}://nobody:s3cret-pw@{rest.split('@')[-1]}", timeout=3)
    assert "s3cret-pw" not in str(caught.value)


def test_sqlite_missing_directory_is_store_unavailable(tmp_path):
    with pytest.raises(StoreUnavailable):
        stores.open_store(f"sqlite://{tmp_path}/no/such/dir/x.db")
    with pytest.raises(StoreUnavailable):
        stores.open_store(f"sqlite://{tmp_path}/absent.db", read_only=True)
