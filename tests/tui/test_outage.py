"""A store that goes away and comes back: a banner, keys still answered, recovery.

Uses a private redis-server on a free loopback port that this test starts,
kills and restarts (tests/private_servers.py); nothing else is touched."""

from __future__ import annotations

import stores
from sokka_tui.clock import system_clock
from sokka_tui.widgets.status_bar import OutageBanner
from tests.tui.conftest import SIZE, settle


async def test_outage_banner_and_recovery(private_redis, make_app):
    store = stores.open_store(private_redis.url, timeout=1)
    store.create_task({"topic": "mail"})
    app = make_app(store, clock=system_clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        banner = app.screen.query_one(OutageBanner)
        assert not banner.display
        private_redis.kill()
        await pilot.press("R")
        await settle(pilot)
        assert banner.display and "STORE UNAVAILABLE" in str(banner.content)
        await pilot.press("l")  # keys still answered while the store is down
        await pilot.pause()
        assert not app.show_leased
        private_redis.start()  # back, empty (it keeps nothing on disk)
        await pilot.press("R")
        await settle(pilot)
        assert not banner.display
        assert app.outage is None
    store.close()
