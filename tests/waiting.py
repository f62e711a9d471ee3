"""Waiting for something to become true, in sync tests and in async (pilot) tests.

Both poll ``predicate`` until it returns a truthy value or ``timeout`` seconds
pass. The async one yields to the event loop (``pilot.pause``) between polls, so
the app under test keeps running; never ``time.sleep`` in an async test.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


def wait_for(predicate: Callable[[], T], timeout: float, interval: float = 0.05) -> T | None:
    """The first truthy value of ``predicate()`` within ``timeout`` seconds, else ``None``."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            return None
        time.sleep(interval)


async def until(pilot: Any, predicate: Callable[[], T], timeout: float = 30.0, interval: float = 0.05) -> T:
    """Pause ``pilot`` until ``predicate()`` is truthy and return that value; fail
    the test (``AssertionError``) after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"not true after {timeout} s: {getattr(predicate, '__name__', predicate)}")
        if pilot is None:
            await asyncio.sleep(interval)
        else:
            await pilot.pause(interval)
