"""The outage banner dates the outage from the start of the first attempt that
failed, not from when its error came back: a refused PostgreSQL connection can
take the pool's timeout, a stopped server the whole store timeout.

The console's local clock is the test's: it is moved a minute on as soon as the
failing load has started, so a banner dated from the error would say so."""

from __future__ import annotations

import pytest

import stores
from sokka_tui.clock import system_clock
from sokka_tui.render import absolute
from sokka_tui.widgets.status_bar import OutageBanner
from tests.private_servers import PrivatePostgres, PrivateRedis
from tests.tui.conftest import SIZE, settle
from tests.waiting import until

TIMEOUT_S = 1
LATER_MS = 60_000


class TestClock:
    """The console's local clock, moved only by the test (a real time to start with)."""

    __test__ = False  # not a test class

    def __init__(self) -> None:
        self.now = system_clock() // 1000 * 1000

    def __call__(self) -> int:
        return self.now


@pytest.mark.parametrize("how", ["postgres killed", "redis stopped"])
async def test_the_banner_says_when_the_failing_attempt_began(how, tmp_path, make_app):
    server = PrivatePostgres(tmp_path) if how.startswith("postgres") else PrivateRedis(tmp_path)
    server.start()
    store = stores.open_store(server.url, timeout=TIMEOUT_S)
    try:
        store.create_task({"topic": "mail"})
        clock = TestClock()
        app = make_app(store, clock=clock)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            banner = app.screen.query_one(OutageBanner)
            assert not banner.display
            if isinstance(server, PrivatePostgres):
                server.stop(mode="immediate")  # connection refused from now on
            else:
                server.pause()  # no answer until the store's timeout
            began = clock.now
            await pilot.press("R")  # the load starts at `began`...
            clock.now += LATER_MS  # ...and its error comes back later
            await until(pilot, lambda: banner.display, timeout=15)
            text = str(banner.content)
            assert f"since {absolute(began)[11:19]} UTC:" in text, text
            assert absolute(began + LATER_MS)[11:19] not in text
            # Later failures do not move it.
            await pilot.press("R")
            await settle(pilot)
            assert f"since {absolute(began)[11:19]} UTC:" in str(banner.content)
    finally:
        if isinstance(server, PrivateRedis):
            server.resume()
        store.close()
        server.remove()
