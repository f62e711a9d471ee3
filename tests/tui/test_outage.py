"""A store that goes away and comes back: a banner, keys still answered, recovery,
and, as this Redis keeps nothing on disk, the store found reset, not empty.

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
        assert app.outage is None
        assert "STORE UNAVAILABLE" not in str(banner.content)
        # Not "0 topics, the store has no tasks yet": the store was wiped, and the banner says so.
        said = "The store was reset: its namespace marker is gone; 1 task shown before is not in it."
        assert banner.display and "STORE RESET" in str(banner.content) and said in str(banner.content)
        titles = [n.title for n in app._notifications]
        assert "Reconnected" in titles and "Store reset" in titles
    store.close()
