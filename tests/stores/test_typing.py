"""Every backend is a ``stores.Store``: checked by mypy (the functions below are
typed, and ``mypy --strict tests/stores/test_typing.py`` fails if a backend's
methods stop matching the protocol) and at run time, on a real store of each
backend."""

from __future__ import annotations

from stores import LeaseSupervision, Store, TaskStore, open_store
from stores.base import BaseStore
from stores.postgres.store import PostgresStore
from stores.redis.store import RedisStore
from stores.sqlite.store import SQLiteStore


# Never called: mypy checks that each backend may stand where a Store is wanted.
def _base_is_a_store(store: BaseStore) -> Store:
    return store


def _sqlite_is_a_store(store: SQLiteStore) -> Store:
    return store


def _postgres_is_a_store(store: PostgresStore) -> Store:
    return store


def _redis_is_a_store(store: RedisStore) -> Store:
    return store


def _open_store_returns_a_store(url: str) -> Store:
    with open_store(url) as store:
        return store


def test_every_backend_is_a_store_at_run_time(store: Store) -> None:
    assert isinstance(store, Store)
    assert isinstance(store, TaskStore) and isinstance(store, LeaseSupervision)
    with store as entered:
        assert entered is store
    assert store.options.namespace == store.namespace
    assert (store.lease_time_ms, store.snooze_time_ms) == (store.options.lease_time_ms, store.options.snooze_time_ms)
    assert store.read_only is False and store.operator is None
