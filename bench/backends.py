"""The backends under test: where each lives, and how to remove what the bench made.

Every namespace the bench opens is ``bench_<random>_<purpose>``, remembered
here, and dropped by ``cleanup`` (PostgreSQL schemas, Redis keys with that
prefix, SQLite files in a private temporary directory). Nothing else is touched.
"""

from __future__ import annotations

import secrets
import shutil
import tempfile
from dataclasses import dataclass, field

from stores import open_store

DEFAULT_URLS = {
    "sqlite": None,  # a file in a fresh temporary directory
    "postgres": "postgresql://root@127.0.0.1:5432/test",
    "redis": "redis://127.0.0.1:6379/0",
}
RUN_ID = secrets.token_hex(3)


@dataclass
class Backend:
    name: str
    url: str
    tmpdir: str | None = None
    namespaces: list[str] = field(default_factory=list)

    @classmethod
    def make(cls, name: str, url: str | None = None) -> Backend:
        url = url or DEFAULT_URLS[name]
        tmpdir = None
        if name == "sqlite" and url is None:
            tmpdir = tempfile.mkdtemp(prefix="sokka-bench-")
            url = f"sqlite://{tmpdir}/bench.db"
        return cls(name, url, tmpdir)

    def namespace(self, purpose: str) -> str:
        ns = f"bench_{RUN_ID}_{purpose}"
        if ns not in self.namespaces:
            self.namespaces.append(ns)
        return ns

    def open(self, namespace: str, **options):
        return open_store(self.url, namespace=namespace, **options)

    def cleanup(self, keep: frozenset[str] = frozenset()) -> None:
        """Drop every namespace this run made (but those in ``keep``)."""
        doomed = [ns for ns in self.namespaces if ns not in keep]
        if self.name == "postgres":
            drop_pg_schemas(self.url, doomed)
        elif self.name == "redis":
            drop_redis_namespaces(self.url, doomed)
        elif self.tmpdir is not None and not keep:
            shutil.rmtree(self.tmpdir, ignore_errors=True)
        self.namespaces = [ns for ns in self.namespaces if ns in keep]


def drop_pg_schemas(url: str, namespaces: list[str]) -> None:
    import psycopg
    from psycopg import sql

    if not namespaces:
        return
    with psycopg.connect(url, autocommit=True) as conn:
        for ns in namespaces:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(ns)))


def drop_redis_namespaces(url: str, namespaces: list[str]) -> None:
    """Unlink every key of ``namespaces`` (``<namespace>:...``): one SCAN of the keyspace."""
    import redis

    if not namespaces:
        return
    doomed = {ns.encode() for ns in namespaces}
    client = redis.Redis.from_url(url)
    try:
        batch = []
        for key in client.scan_iter(match=f"bench_{RUN_ID}_*", count=10_000):
            if key.split(b":", 1)[0] in doomed:
                batch.append(key)
            if len(batch) >= 5000:
                client.unlink(*batch)
                batch = []
        if batch:
            client.unlink(*batch)
    finally:
        client.close()
