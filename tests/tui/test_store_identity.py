"""What the console says about the store itself: credentials that may only read
(the header says why), a store wiped or remade while it watched (a banner,
not "0 topics"), and what opening the store warned of."""

from __future__ import annotations

import pytest

import stores
from sokka_tui.clock import system_clock
from sokka_tui.widgets.status_bar import OutageBanner, StatusBar
from tests.server_users import read_only_url
from tests.servers import drop_namespace
from tests.tui.conftest import SIZE, settle
from tests.tui.dataset import fill


def _header(app) -> str:
    return str(app.screen.query_one(StatusBar).render())


def _banner(app) -> str:
    banner = app.screen.query_one(OutageBanner)
    return str(banner.render()) if banner.display else ""


def _notices(app, title: str) -> list[str]:
    return [str(n.message) for n in app._notifications if n.title == title]


@pytest.mark.parametrize(("backend", "reason"), [("postgres", "this role may only read"),
                                                 ("redis", "this user may only read")])
async def test_credentials_that_may_only_read_open_read_only_and_the_header_says_why(
    backend, reason, make_store, make_app
):
    writer = make_store(lease_time_ms=60_000)
    fill(writer)
    with read_only_url(backend, writer.namespace) as url, \
            stores.open_store(url, namespace=writer.namespace, timeout=5) as store:  # not asked read-only
        app = make_app(store, clock=system_clock)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            assert f"READ-ONLY: {reason}" in _header(app)
            assert not app.screen.check_action("revoke_lease", ())


@pytest.mark.parametrize("backend", ["postgres"])
async def test_asked_read_only_the_header_says_only_read_only(make_store, make_app, store_url):
    writer = make_store()
    fill(writer)
    with stores.open_store(store_url, namespace=writer.namespace, read_only=True) as store:
        app = make_app(store)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            header = _header(app)
            assert " READ-ONLY " in header and "READ-ONLY:" not in header


@pytest.mark.parametrize("backend", ["redis"])
async def test_a_wiped_store_is_said_to_be_reset_not_empty(backend, make_store, make_app):
    store = make_store(lease_time_ms=60_000)
    fill(store)
    shown = sum(sum(s.counts.values()) for s in store.topics())
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert _banner(app) == "" and app.reset_notice is None
        drop_namespace(backend, store.namespace)  # what a restart without persistence leaves
        await pilot.press("R")
        await settle(pilot)
        expected = f"The store was reset: its namespace marker is gone; {shown:,} tasks shown before are not in it."
        assert app.reset_notice == expected
        assert "STORE RESET" in _banner(app) and expected in _banner(app)
        assert _notices(app, "Store reset") == [expected]
        await pilot.press("R")  # said once, and it stays on screen
        await settle(pilot)
        assert _notices(app, "Store reset") == [expected] and "STORE RESET" in _banner(app)


@pytest.mark.parametrize("backend", ["postgres"])
async def test_a_store_made_again_has_another_identity(backend, make_store, make_app, store_url):
    store = make_store()
    fill(store)
    first = store.identity()
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        drop_namespace(backend, store.namespace)
        with stores.open_store(store_url, namespace=store.namespace) as again:  # makes the schema anew
            second = again.identity()
        assert second is not None and first is not None and second != first
        await pilot.press("R")
        await settle(pilot)
        assert app.reset_notice is not None and "it has another identity" in app.reset_notice
        assert "STORE RESET" in _banner(app)


@pytest.mark.parametrize("backend", ["redis"])
async def test_what_opening_the_store_warned_of_is_a_notification(make_store, make_app, store_url):
    namespace = make_store().namespace
    url = store_url.replace("redis://", "redis://:WrongPw@", 1)
    with stores.open_store(url, namespace=namespace) as store:
        app = make_app(store)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            assert _notices(app, "Store warning") == ["the server requires no password; the one given was ignored"]
