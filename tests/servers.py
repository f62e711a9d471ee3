"""Where the test servers are, and how a test run removes what it created.

Addresses come from the environment, with the machine's defaults. Cleanup only
ever touches the namespaces a run made itself.
"""

from __future__ import annotations

import functools
import os
import re
import secrets
from urllib.parse import urlsplit

PG_URL = os.environ.get("SOKKA_TEST_PG_URL", "postgresql://root@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("SOKKA_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
BACKENDS = ("sqlite", "postgres", "redis")
#: The conformance suite (tests/stores) also runs on a private Redis Cluster
#: (tests/redis_cluster.py), started by the first test that needs it.
STORE_BACKENDS = (*BACKENDS, "redis-cluster")


#: The shared servers by the name of their pytest marker (and ``backend`` parameter).
SERVER_NAMES = {"postgres": "PostgreSQL", "redis": "Redis"}


def in_ci() -> bool:
    """Whether this run is CI's (``CI`` set, as CI services do): there a server the
    suite needs must be there, so an unreachable one fails its tests."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def server_address(server: str) -> str:
    """``host:port`` of a shared server's URL, for messages (never a password)."""
    url = PG_URL if server == "postgres" else REDIS_URL
    try:
        parts = urlsplit(url)
        default = 5432 if server == "postgres" else 6379
        return f"{parts.hostname or 'localhost'}:{parts.port or default}"
    except ValueError:
        return "the configured URL"


@functools.cache
def unreachable(server: str) -> str | None:
    """Why the shared server ``server`` ("postgres" or "redis") cannot be used, in
    one line; ``None`` when it answers. Asked once per process."""
    try:
        if server == "postgres":
            import psycopg

            with psycopg.connect(PG_URL, connect_timeout=3) as conn:
                conn.execute("SELECT 1")
        else:
            import redis

            client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3, socket_timeout=3)
            try:
                client.ping()
            finally:
                client.close()
    except Exception as exc:
        first_line = (str(exc).strip().splitlines() or [""])[0]
        detail = first_line.rsplit(": ", 1)[-1].strip()[:120] or type(exc).__name__
        env = "SOKKA_TEST_PG_URL" if server == "postgres" else "SOKKA_TEST_REDIS_URL"
        return (
            f"{SERVER_NAMES[server]} at {server_address(server)} is not reachable ({detail}; "
            f"set {env} to use another)"
        )
    return None


def new_namespace(prefix: str = "t") -> str:
    return f"{prefix}_{secrets.token_hex(6)}"


def url_for(backend: str, tmp_dir) -> str:
    if backend == "sqlite":
        return f"sqlite://{tmp_dir}/tasks.db"
    if backend == "redis-cluster":
        from tests.redis_cluster import running_cluster_url

        return running_cluster_url()
    return {"postgres": PG_URL, "redis": REDIS_URL}[backend]


def drop_namespace(backend: str, namespace: str) -> None:
    """Remove everything a test stored under ``namespace`` (SQLite files go with tmp dirs)."""
    if backend == "postgres":
        import psycopg
        from psycopg import sql

        with psycopg.connect(PG_URL, autocommit=True, connect_timeout=5) as conn:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(namespace)))
    elif backend == "redis":
        _drop_redis_keys(f"{_glob_escape(namespace)}:*")
    elif backend == "redis-cluster":
        from tests.redis_cluster import running_cluster_url

        _drop_redis_keys(f"{_glob_escape(namespace)}:*", running_cluster_url())


def _glob_escape(text: str) -> str:
    """``text`` matched literally by a Redis ``MATCH`` pattern."""
    return re.sub(r"([\\*?\[\]])", r"\\\1", text)


def _drop_redis_keys(pattern: str, url: str = REDIS_URL) -> None:
    """Unlink the keys matching ``pattern`` on the server of ``url``, or on
    every primary of the cluster when it is a ``redis+cluster://`` URL."""
    import redis
    from redis.cluster import RedisCluster

    scheme, _, rest = url.partition("://")
    if not scheme.lower().endswith("+cluster"):
        client = redis.Redis.from_url(url, socket_timeout=5)
        try:
            _unlink_matching(client, pattern, keys_per_command=1000)
        finally:
            client.close()
        return
    cluster = RedisCluster.from_url(f"{scheme[: -len('+cluster')]}://{rest}", socket_timeout=5)
    try:
        for node in cluster.get_primaries():
            # SCAN walks one node; and a multi-key UNLINK is refused (CROSSSLOT)
            # unless every key is in one slot, so that node gets one key a command.
            _unlink_matching(cluster.get_redis_connection(node), pattern, keys_per_command=1)
    finally:
        cluster.close()


def _unlink_matching(client, pattern: str, *, keys_per_command: int) -> None:
    """SCAN ``client``'s server for ``pattern``; UNLINK the keys, 1000 a round trip."""
    batch = []
    for key in client.scan_iter(match=pattern, count=1000):
        batch.append(key)
        if len(batch) >= 1000:
            _unlink(client, batch, keys_per_command)
            batch = []
    if batch:
        _unlink(client, batch, keys_per_command)


def _unlink(client, keys: list, keys_per_command: int) -> None:
    pipe = client.pipeline(transaction=False)
    for start in range(0, len(keys), keys_per_command):
        pipe.unlink(*keys[start : start + keys_per_command])
    pipe.execute()
