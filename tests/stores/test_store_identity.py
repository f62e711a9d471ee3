"""The store's identity (``Store.identity``): made with the namespace, the same
for every store of it, added to an older namespace by its next writable open
(never by a read-only one), and gone when the namespace is wiped. Also
``read_only_reason`` and ``warnings`` as every backend has them."""

from __future__ import annotations

import re
import threading

import pytest

from stores import Store, StoreIdentity
from tests.servers import PG_URL, drop_namespace, new_namespace


def test_a_new_namespace_has_an_identity_that_every_store_of_it_sees(make_store):
    store = make_store()
    identity = store.identity()
    assert isinstance(identity, StoreIdentity)
    assert re.fullmatch(r"[0-9a-f]{16}", identity.store_id)
    assert abs(store.now_ms() - identity.created_at) < 60_000  # the store's clock, in ms
    assert make_store(namespace=store.namespace).identity() == identity  # a reopen keeps it
    assert make_store(namespace=store.namespace, read_only=True).identity() == identity
    other = make_store(namespace=new_namespace("other")).identity()
    assert other is not None and other.store_id != identity.store_id


def test_stores_opening_a_new_namespace_at_once_agree_on_its_identity(make_store):
    namespace = new_namespace("race")
    opened: list[Store] = []
    errors: list[BaseException] = []

    def open_one() -> None:
        try:
            opened.append(make_store(namespace=namespace))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=open_one) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    identities = {store.identity() for store in opened}
    assert len(identities) == 1 and None not in identities


def _forget_identity(backend: str, store) -> None:
    """Remove the identity marker, as a namespace made before identities has none."""
    if backend == "sqlite":
        with store._lock:
            store._conn.execute(f"DELETE FROM {store.namespace}_meta WHERE key = 'identity'")
    elif backend == "postgres":
        import psycopg
        from psycopg import sql

        with psycopg.connect(PG_URL, autocommit=True, connect_timeout=5) as conn:
            conn.execute(sql.SQL("DELETE FROM {}.meta WHERE key = 'identity'").format(sql.Identifier(store.namespace)))
    else:
        store._client.delete(store._keys.identity)


def test_an_older_namespace_gets_an_identity_on_its_next_writable_open(backend, make_store):
    store = make_store()
    old = store.identity()
    task = store.create_task({"topic": "kept"})
    _forget_identity(backend, store)
    assert store.identity() is None
    reader = make_store(namespace=store.namespace, read_only=True)
    assert reader.identity() is None  # a read-only open never writes
    writer = make_store(namespace=store.namespace)  # the upgrade step
    added = writer.identity()
    assert added is not None and added != old
    assert store.identity() == reader.identity() == added
    assert writer.task(task.task_id) == task  # nothing else changed


def _wipe(backend: str, store) -> None:
    """What a reset does: the namespace is gone (schema dropped, keys flushed)."""
    if backend == "sqlite":
        with store._lock:
            for table in ("meta", "tasks", "topic_counts", "audit"):
                store._conn.execute(f"DROP TABLE IF EXISTS {store.namespace}_{table}")
    else:
        drop_namespace(backend, store.namespace)


def test_a_wiped_namespace_has_no_identity_until_it_is_made_again(backend, make_store):
    store = make_store()
    old = store.identity()
    _wipe(backend, store)
    assert store.identity() is None  # gone: not an empty store
    again = make_store(namespace=store.namespace).identity()
    assert again is not None and old is not None and again.store_id != old.store_id
    assert store.identity() == again


def test_why_a_store_is_read_only(make_store):
    writer = make_store()
    assert (writer.read_only, writer.read_only_reason, writer.warnings) == (False, None, ())
    reader = make_store(namespace=writer.namespace, read_only=True)
    assert (reader.read_only, reader.read_only_reason, reader.warnings) == (True, "opened read-only", ())


@pytest.mark.parametrize("backend", ["postgres"])
def test_a_postgres_session_that_may_only_read_opens_read_only(make_store):
    """default_transaction_read_only set for the session (here through the URL's
    options; an ALTER ROLE ... SET does the same): found before anything is written."""
    writer = make_store()
    writer.create_task({"topic": "x"})
    from urllib.parse import quote

    import stores

    url = f"{PG_URL}?options={quote('-c default_transaction_read_only=on')}"
    with stores.open_store(url, namespace=writer.namespace, timeout=5) as store:
        assert store.read_only
        assert store.read_only_reason == "this session may only read (default_transaction_read_only)"
        assert [t.topic for t in store.topics()] == ["x"]
        with pytest.raises(stores.ReadOnlyStore):
            store.create_task({"topic": "x"})
