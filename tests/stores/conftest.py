"""Fixtures of the conformance suite: every test runs once per backend, on a real server
(``backend``, ``store_url`` and ``make_store`` come from ``tests/conftest.py``)."""

from __future__ import annotations

import pytest


@pytest.fixture
def store(make_store):
    """A store with a 60 s lease and a 5 min default snooze."""
    return make_store(lease_time_ms=60_000)


@pytest.fixture
def short_store(make_store):
    """A store whose leases last 300 ms, for expiry by the store's clock."""
    return make_store(lease_time_ms=300)
