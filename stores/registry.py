"""URL scheme -> backend. Backends are imported only when a URL asks for them,
so using SQLite never needs psycopg or redis installed: ``pip install sokka-tui``
is enough for SQLite, and the ``postgres`` and ``redis`` extras add the drivers."""

from __future__ import annotations

import importlib
from typing import Any

from stores.base import BaseStore
from stores.errors import InvalidArgument, redact
from stores.options import StoreOptions
from stores.protocol import Store

#: backend module -> (the driver packages it imports, the extra that installs them).
DRIVERS: dict[str, tuple[frozenset[str], str]] = {
    "stores.postgres.store": (frozenset({"psycopg", "psycopg_pool"}), "postgres"),
    "stores.redis.store": (frozenset({"redis", "hiredis"}), "redis"),
}

BACKENDS: dict[str, str] = {
    "sqlite": "stores.sqlite.store:SQLiteStore",
    "postgresql": "stores.postgres.store:PostgresStore",
    "postgres": "stores.postgres.store:PostgresStore",
    "redis": "stores.redis.store:RedisStore",
    "rediss": "stores.redis.store:RedisStore",
    "redis+cluster": "stores.redis.store:RedisStore",
    "rediss+cluster": "stores.redis.store:RedisStore",
}


def backend_for(url: str) -> type[BaseStore]:
    """The store class for ``url``'s scheme. Raises ``InvalidArgument``."""
    if not isinstance(url, str) or "://" not in url:
        shown = redact(url) if isinstance(url, str) else type(url).__name__
        raise InvalidArgument(
            f"Not a store URL: {shown!r} (expected sqlite://, postgresql:// or redis://)."
        )
    # Not urlsplit: it raises ValueError on a malformed authority ("[::1"), and the
    # backend, which parses the rest, says what is wrong with it.
    scheme = url.split("://", 1)[0].lower()
    target = BACKENDS.get(scheme)
    if target is None:
        known = ", ".join(f"{name}://" for name in BACKENDS)
        raise InvalidArgument(f"Unknown store URL scheme {scheme!r}; known: {known}.")
    module_name, class_name = target.split(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        packages, extra = DRIVERS.get(module_name, (frozenset(), ""))
        missing = (exc.name or "").partition(".")[0]
        if missing not in packages:
            raise
        raise InvalidArgument(
            f"{scheme}:// URLs need the {missing} package, which is not installed: "
            f"pip install 'sokka-tui[{extra}]'."
        ) from exc
    store_class: type[BaseStore] = getattr(module, class_name)
    return store_class


def open_store(url: str, **options: Any) -> Store:
    """Open the store at ``url`` (README.md, "URLs and options").

    Options: ``lease_time_ms``, ``snooze_time_ms``, ``namespace``, ``read_only``,
    ``timeout`` (seconds), ``operator``. Creates the schema where it is missing
    unless ``read_only``. Raises ``InvalidArgument`` for a bad URL or option (or
    a backend whose driver is not installed) and
    ``StoreUnavailable`` when the server cannot be reached or the schema is
    missing on a read-only store.
    """
    store_class = backend_for(url)
    return store_class.open(url, StoreOptions.parse(options))
