"""Server-side users for the safety tests: a PostgreSQL role and a Redis ACL user
that may only read one namespace, and a Redis user with a password.

Each gets a unique name and is dropped when the ``with`` block ends, so tests
running in parallel on the shared servers never see each other's users.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Iterator
from urllib.parse import quote, urlsplit, urlunsplit

from stores.redis.scripts import READ_ONLY_ACL
from tests.servers import PG_URL, REDIS_URL


def _with_credentials(url: str, user: str, password: str | None) -> str:
    parts = urlsplit(url)
    auth = quote(user, safe="") + (":" + quote(password, safe="") if password is not None else "")
    host = parts.hostname or "127.0.0.1"
    netloc = f"{auth}@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


@contextlib.contextmanager
def pg_read_only_role(namespace: str, server_url: str = PG_URL) -> Iterator[str]:
    """A role with LOGIN, USAGE on the namespace's schema and SELECT on its tables,
    nothing else (the README's recipe); yields a URL that logs in as it. The
    server of ``server_url`` (the shared one by default, or a private one) must
    trust it, and ``server_url`` must log in as a role that may create roles."""
    import psycopg
    from psycopg import sql

    role = f"sokka_ro_{secrets.token_hex(6)}"
    ident, schema = sql.Identifier(role), sql.Identifier(namespace)
    with psycopg.connect(server_url, autocommit=True, connect_timeout=5) as conn:
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN NOINHERIT").format(ident))
        conn.execute(sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(schema, ident))
        conn.execute(sql.SQL("GRANT SELECT ON ALL TABLES IN SCHEMA {} TO {}").format(schema, ident))
    try:
        yield _with_credentials(server_url, role, None)
    finally:
        with psycopg.connect(server_url, autocommit=True, connect_timeout=5) as conn:
            conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s", (role,))
            conn.execute(sql.SQL("DROP OWNED BY {}").format(ident))  # revokes its grants here
            conn.execute(sql.SQL("DROP ROLE {}").format(ident))


@contextlib.contextmanager
def redis_user(*rules: str, server_url: str = REDIS_URL) -> Iterator[tuple[str, str]]:
    """An ACL user with a random password and ``rules`` on the server of
    ``server_url``; yields ``(user, password)``."""

    user, password = f"sokka_u_{secrets.token_hex(6)}", secrets.token_hex(12)
    admins = _admin_clients(server_url)
    try:
        for admin in admins:
            admin.execute_command("ACL", "SETUSER", user, "reset", "on", f">{password}", *rules)
        yield user, password
    finally:
        for admin in admins:
            admin.execute_command("ACL", "DELUSER", user)  # also closes its connections
            admin.close()


def _admin_clients(server_url: str) -> list:
    """A client of the server of ``server_url``, or of each primary of a
    ``redis+cluster://`` one (ACL users are per node)."""
    import redis
    from redis.cluster import RedisCluster

    scheme, _, rest = server_url.partition("://")
    if not scheme.endswith("+cluster"):
        return [redis.Redis.from_url(server_url, socket_timeout=5)]
    cluster = RedisCluster.from_url(f"{scheme.removesuffix('+cluster')}://{rest}", socket_timeout=5)
    try:
        nodes = [(node.host, node.port) for node in cluster.get_primaries()]
    finally:
        cluster.close()
    return [redis.Redis(host=host, port=port, socket_timeout=5) for host, port in nodes]


@contextlib.contextmanager
def redis_read_only_user(namespace: str, server_url: str = REDIS_URL) -> Iterator[str]:
    """An ACL user allowed only ``READ_ONLY_ACL`` on ``namespace:*``; yields its URL."""
    with redis_user(f"~{namespace}:*", *READ_ONLY_ACL, server_url=server_url) as (user, password):
        yield _with_credentials(server_url, user, password)


@contextlib.contextmanager
def read_only_url(backend: str, namespace: str) -> Iterator[str]:
    """A URL of ``backend`` that the server lets only read ``namespace``."""
    if backend == "postgres":
        with pg_read_only_role(namespace) as url:
            yield url
    elif backend == "redis":
        with redis_read_only_user(namespace) as url:
            yield url
    elif backend == "redis-cluster":
        from tests.redis_cluster import running_cluster_url

        with redis_read_only_user(namespace, server_url=running_cluster_url()) as url:
            yield url
    else:
        raise ValueError(f"no server-side users on {backend}")


def with_credentials(url: str, user: str, password: str | None) -> str:
    """``url`` logging in as ``user`` (with ``password`` when given)."""
    return _with_credentials(url, user, password)
