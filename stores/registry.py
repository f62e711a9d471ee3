"""URL scheme -> backend. Backends are imported only when a URL asks for them,
so using SQLite never needs psycopg or redis installed."""

from __future__ import annotations

import importlib
from typing import Any

from stores.base import BaseStore
from stores.errors import InvalidArgument, redact
from stores.options import StoreOptions
from stores.protocol import Store

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
    return getattr(importlib.import_module(module_name), class_name)


def open_store(url: str, **options: Any) -> Store:
    """Open the store at ``url`` (PROTOCOL.md, "Opening a store").

    Options: ``lease_time_ms``, ``snooze_time_ms``, ``namespace``, ``read_only``,
    ``timeout`` (seconds). Creates the schema where it is missing unless
    ``read_only``. Raises ``InvalidArgument`` for a bad URL or option and
    ``StoreUnavailable`` when the server cannot be reached or the schema is
    missing on a read-only store.
    """
    store_class = backend_for(url)
    return store_class.open(url, StoreOptions.parse(options))
