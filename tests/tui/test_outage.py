"""A store that goes away and comes back: a banner, keys still answered, recovery.

Uses a private redis-server on a free loopback port that this test starts,
kills and restarts; nothing else is touched."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time

import pytest

import stores
from sokka_tui.clock import system_clock
from sokka_tui.widgets.status_bar import OutageBanner
from tests.tui.conftest import SIZE, settle

pytestmark = pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PrivateRedis:
    def __init__(self, tmp_path) -> None:
        self.port = _free_port()
        self.dir = tmp_path
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.dir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("private redis-server did not start")

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None


@pytest.fixture
def private_redis(tmp_path):
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.kill()


async def test_outage_banner_and_recovery(private_redis, make_app):
    store = stores.open_store(f"redis://127.0.0.1:{private_redis.port}/0", timeout=1)
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
