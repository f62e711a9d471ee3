"""Waiting on a store's own clock, for tests of leases, snoozes and ages.

A fixed ``time.sleep`` after a short lease either wastes time or, on a loaded
machine, races it; waiting until the store's clock has passed the moment in
question does neither.
"""

from __future__ import annotations

import time

from stores import Store

#: The lease of ``short_store``: long enough that the steps of a test that must
#: happen within one lease do so on a loaded machine (xdist on two cores), short
#: enough that waiting one out is quick.
SHORT_LEASE_MS = 1_000


def wait_past(store: Store, at_ms: int, timeout: float = 30.0) -> int:
    """Sleep until ``store.now_ms()`` is past ``at_ms``; return the store's time then."""
    deadline = time.monotonic() + timeout
    while True:
        now = store.now_ms()
        if now > at_ms:
            return now
        if time.monotonic() >= deadline:
            raise AssertionError(f"the store's clock did not pass {at_ms} within {timeout} s (at {now})")
        time.sleep(min(max((at_ms - now + 1) / 1000, 0.005), 0.2))
