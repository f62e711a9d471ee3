"""``Store.durability()``: the server settings that decide whether an acknowledged
write survives a crash, read (never changed) from each backend, and how each
value is judged."""

from __future__ import annotations

import pytest

import stores
from stores import DurabilityCheck
from stores.postgres.store import postgres_durability
from stores.redis.connection import redis_durability
from stores.sqlite.store import sqlite_durability
from tests.private_servers import PrivateRedis
from tests.server_users import redis_read_only_user

SETTINGS = {
    "sqlite": ["journal_mode", "synchronous"],
    "postgres": ["fsync", "synchronous_commit", "full_page_writes"],
    "redis": ["appendonly", "appendfsync", "save", "maxmemory-policy"],
}


def test_every_backend_reports_its_settings_read_only_too(backend, make_store):
    store = make_store()
    checks = store.durability()
    assert all(isinstance(c, DurabilityCheck) for c in checks)
    names = [c.setting.split(" (")[0] for c in checks]  # a cluster's checks name their node
    expected = SETTINGS["redis" if backend == "redis-cluster" else backend]
    assert names[: len(expected)] == expected and set(names) == set(expected)
    for check in checks:
        assert check.value and (check.risk == "") == check.ok, check
        assert "\n" not in check.risk
    if backend == "sqlite":  # what a writable store sets
        assert [(c.value, c.ok) for c in checks] == [("wal", True), ("NORMAL", True)]
    reader = make_store(namespace=store.namespace, read_only=True)
    assert [c.setting for c in reader.durability()] == [c.setting for c in checks]


@pytest.mark.parametrize("backend", ["postgres"])
def test_postgres_values_are_the_servers(make_store):
    import psycopg

    from tests.servers import PG_URL

    store = make_store()
    with psycopg.connect(PG_URL, connect_timeout=5) as conn:
        rows = {name: conn.execute(f"SHOW {name}").fetchone() for name in SETTINGS["postgres"]}
    shown = {name: row[0] for name, row in rows.items() if row is not None}
    assert {c.setting: c.value for c in store.durability()} == shown


@pytest.mark.parametrize("backend", ["redis"])
def test_redis_values_are_the_servers(make_store):
    import redis

    from tests.servers import REDIS_URL

    store = make_store()
    client = redis.Redis.from_url(REDIS_URL, socket_timeout=5, decode_responses=True)
    try:
        config = client.config_get("appendonly", "appendfsync", "maxmemory-policy")
    finally:
        client.close()
    assert {c.setting: c.value for c in store.durability() if c.setting != "save"} == config


def test_postgres_judgement():
    good = {"fsync": "on", "synchronous_commit": "on", "full_page_writes": "on", "wal_writer_delay": "200"}
    assert all(c.ok for c in postgres_durability(good))
    for commit in ("remote_apply", "remote_write", "local"):
        assert all(c.ok for c in postgres_durability({**good, "synchronous_commit": commit}))
    off = {c.setting: c for c in postgres_durability({**good, "synchronous_commit": "off"})}["synchronous_commit"]
    assert not off.ok
    assert off.risk == "a crash loses the last transactions (about 3 x wal_writer_delay = 600 ms)."
    bad = postgres_durability({**good, "fsync": "off", "full_page_writes": "off"})
    assert [(c.setting, c.ok) for c in bad] == [
        ("fsync", False), ("synchronous_commit", True), ("full_page_writes", False),
    ]
    assert all(c.risk.endswith(".") for c in bad if not c.ok)


def test_sqlite_judgement():
    assert [c.ok for c in sqlite_durability("wal", 1)] == [True, True]  # NORMAL in WAL
    assert [c.ok for c in sqlite_durability("wal", 2)] == [True, True]
    assert [c.ok for c in sqlite_durability("delete", 1)] == [True, False]  # NORMAL without WAL
    assert [c.ok for c in sqlite_durability("wal", 0)] == [True, False]
    assert [c.ok for c in sqlite_durability("memory", 2)] == [False, True]
    assert [c.ok for c in sqlite_durability("off", 2)] == [False, True]


def test_redis_judgement():
    durable = {"appendonly": "yes", "appendfsync": "everysec", "save": "3600 1", "maxmemory-policy": "noeviction"}
    assert all(c.ok for c in redis_durability(durable))
    assert all(c.ok for c in redis_durability({**durable, "appendfsync": "always"}))
    assert all(c.ok for c in redis_durability({**durable, "maxmemory-policy": "volatile-lru"}))
    checks = {c.setting: c for c in redis_durability({**durable, "appendfsync": "no"})}
    assert not checks["appendfsync"].ok and "OS crash" in checks["appendfsync"].risk
    checks = {c.setting: c for c in redis_durability({**durable, "appendonly": "no", "save": ""})}
    assert not checks["appendonly"].ok and "every task" in checks["appendonly"].risk
    assert checks["save"] == DurabilityCheck("save", "(off)", True, "")
    assert checks["appendfsync"].ok  # moot without the append-only file
    checks = {c.setting: c for c in redis_durability({**durable, "maxmemory-policy": "allkeys-lru"})}
    assert not checks["maxmemory-policy"].ok and "evicts" in checks["maxmemory-policy"].risk


def test_redis_with_an_append_only_file_is_durable(tmp_path):
    server = PrivateRedis(tmp_path, extra_args=("--appendonly", "yes", "--appendfsync", "everysec"))
    with server:
        store = stores.open_store(server.url, timeout=5)
        try:
            checks = {c.setting: c for c in store.durability()}
        finally:
            store.close()
    assert checks["appendonly"] == DurabilityCheck("appendonly", "yes", True, "")
    assert checks["appendfsync"] == DurabilityCheck("appendfsync", "everysec", True, "")
    assert all(c.ok for c in checks.values())


@pytest.mark.parametrize("backend", ["redis"])
def test_a_redis_user_that_may_not_read_the_config_gets_one_unknown_check(make_store):
    writer = make_store()
    with redis_read_only_user(writer.namespace) as url, \
            stores.open_store(url, namespace=writer.namespace, timeout=5) as reader:
        (check,) = reader.durability()
    assert (check.setting, check.ok, check.risk) == ("CONFIG GET", False, "unknown")
    assert check.value.startswith("could not be read")
