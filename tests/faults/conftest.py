"""The fault suite: servers restarted, paused and cut off, workers killed.

Restarts and pauses only ever hit private servers (tests/private_servers.py);
the shared ones are used only by tests that disrupt nothing."""

from __future__ import annotations

from tests.tui.conftest import clock, make_app  # noqa: F401  (the console's fixtures)
