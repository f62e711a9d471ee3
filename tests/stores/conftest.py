"""Fixtures of the conformance suite: every test runs once per backend, on a real server
(``make_store`` comes from ``tests/conftest.py``).

Beyond the three backends of the console suite, this suite also runs on Redis
Cluster (``redis-cluster``): a private three-master cluster of this test process
(``tests/redis_cluster.py``), started by the first test that needs it and
opened through ``redis+cluster://``."""

from __future__ import annotations

import pytest

from tests.redis_cluster import redis_cluster  # noqa: F401  (fixture)
from tests.servers import STORE_BACKENDS, url_for
from tests.stores.clock import SHORT_LEASE_MS


@pytest.fixture(params=STORE_BACKENDS)
def backend(request) -> str:
    return request.param


@pytest.fixture
def store_url(request, backend, tmp_path) -> str:
    if backend == "redis-cluster":
        request.getfixturevalue("redis_cluster")  # started on first use, once per process
    return url_for(backend, tmp_path)


@pytest.fixture
def store(make_store):
    """A store with a 60 s lease and a 5 min default snooze."""
    return make_store(lease_time_ms=60_000)


@pytest.fixture
def short_store(make_store):
    """A store whose leases last ``SHORT_LEASE_MS`` (1 s), for expiry by the store's
    clock (``tests.stores.clock.wait_past``)."""
    return make_store(lease_time_ms=SHORT_LEASE_MS)
