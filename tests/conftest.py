"""Fixtures shared by the store suite and the console suite: a real server per backend.

A test that needs a shared server is marked with its name (``postgres``,
``redis``): the marks are added to every test parametrized with that
``backend``, and a test that uses a server otherwise says so itself. When that
server does not answer, its tests are skipped, and the run ends with one line
per server saying so; under CI (``CI=true``) they fail instead, so a run
without its servers never passes.
"""

from __future__ import annotations

import pytest

import stores
from tests.private_servers import private_postgres, private_redis  # noqa: F401  (fixtures)
from tests.servers import BACKENDS, SERVER_NAMES, drop_namespace, in_ci, new_namespace, unreachable, url_for


@pytest.fixture(autouse=True)
def _console_state_in_tmp(tmp_path_factory, monkeypatch):
    """What the console remembers between runs (sokka_tui.state) goes to a fresh
    directory per test, never the real home."""
    monkeypatch.setenv("SOKKA_STATE_DIR", str(tmp_path_factory.mktemp("state")))


def pytest_configure(config: pytest.Config) -> None:
    for server, name in SERVER_NAMES.items():
        config.addinivalue_line(
            "markers",
            f"{server}: needs the shared {name} server (tests/servers.py); skipped when it does not "
            "answer, failed under CI=true",
        )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark each test parametrized with a shared server's ``backend`` with its name."""
    for item in items:
        callspec = getattr(item, "callspec", None)
        backend = callspec.params.get("backend") if callspec is not None else None
        if backend in SERVER_NAMES:
            item.add_marker(backend)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Before any fixture: skip (under CI, fail) a test whose server does not answer."""
    for server in SERVER_NAMES:
        if item.get_closest_marker(server) is None:
            continue
        reason = unreachable(server)
        if reason is None:
            continue
        if in_ci():
            pytest.fail(f"{reason}, and CI is set: a server the suite needs must be there.", pytrace=False)
        pytest.skip(f"{reason}: its tests are skipped")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """One line per unreachable server, however many of its tests were skipped."""
    counts: dict[str, int] = {}
    for report in terminalreporter.stats.get("skipped", []):
        longrepr = getattr(report, "longrepr", None)
        reason = longrepr[2] if isinstance(longrepr, tuple) and len(longrepr) == 3 else ""
        if reason.startswith("Skipped: "):
            reason = reason[len("Skipped: "):]
        if reason.endswith(": its tests are skipped") and " is not reachable " in reason:
            counts[reason] = counts.get(reason, 0) + 1
    for reason, count in sorted(counts.items()):
        terminalreporter.write_line(f"{reason} ({count} tests)", yellow=True)


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    return request.param


@pytest.fixture
def store_url(backend, tmp_path) -> str:
    return url_for(backend, tmp_path)


@pytest.fixture
def make_store(backend, store_url):
    """``make_store(**options)`` opens a store on this test's backend, in a namespace
    of this test (unless one is given); every namespace used is dropped afterwards."""
    opened, namespaces = [], set()
    default_namespace = new_namespace()

    def make(**options):
        options.setdefault("namespace", default_namespace)
        namespaces.add(options["namespace"])
        store = stores.open_store(store_url, **options)
        opened.append(store)
        return store

    yield make
    for store in opened:
        store.close()
    for namespace in namespaces:
        drop_namespace(backend, namespace)
