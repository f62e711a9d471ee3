"""Where the test servers are, and how a test run removes what it created.

Addresses come from the environment, with the machine's defaults. Cleanup only
ever touches the namespaces a run made itself.
"""

from __future__ import annotations

import os
import secrets

PG_URL = os.environ.get("SOKKA_TEST_PG_URL", "postgresql://root@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("SOKKA_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
BACKENDS = ("sqlite", "postgres", "redis")


def new_namespace(prefix: str = "t") -> str:
    return f"{prefix}_{secrets.token_hex(6)}"


def url_for(backend: str, tmp_dir) -> str:
    if backend == "sqlite":
        return f"sqlite://{tmp_dir}/tasks.db"
    return {"postgres": PG_URL, "redis": REDIS_URL}[backend]


def drop_namespace(backend: str, namespace: str) -> None:
    """Remove everything a test stored under ``namespace`` (SQLite files go with tmp dirs)."""
    if backend == "postgres":
        import psycopg
        from psycopg import sql

        with psycopg.connect(PG_URL, autocommit=True, connect_timeout=5) as conn:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(namespace)))
    elif backend == "redis":
        import redis

        client = redis.Redis.from_url(REDIS_URL, socket_timeout=5)
        try:
            batch = []
            for key in client.scan_iter(match=f"{namespace}:*", count=1000):
                batch.append(key)
                if len(batch) >= 1000:
                    client.unlink(*batch)
                    batch = []
            if batch:
                client.unlink(*batch)
        finally:
            client.close()
