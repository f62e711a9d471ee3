"""Fixtures shared by the store suite and the console suite: a real server per backend."""

from __future__ import annotations

import pytest

import stores
from tests.private_servers import private_postgres, private_redis  # noqa: F401  (fixtures)
from tests.servers import BACKENDS, drop_namespace, new_namespace, url_for


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    return request.param


@pytest.fixture
def store_url(backend, tmp_path) -> str:
    return url_for(backend, tmp_path)


@pytest.fixture
def make_store(backend, store_url):
    """``make_store(**options)`` opens a store on this test's backend, in a namespace
    of this test (unless one is given); every namespace used is dropped afterwards."""
    opened, namespaces = [], set()
    default_namespace = new_namespace()

    def make(**options):
        options.setdefault("namespace", default_namespace)
        namespaces.add(options["namespace"])
        store = stores.open_store(store_url, **options)
        opened.append(store)
        return store

    yield make
    for store in opened:
        store.close()
    for namespace in namespaces:
        drop_namespace(backend, namespace)
