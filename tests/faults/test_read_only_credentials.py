"""Credentials that may only read open a read-only store without trying anything
they may not: nothing refused shows in the server's log (PostgreSQL) or ACL log
(Redis). Before, opening tried to create or mark the schema first, and the
server logged "ERROR: permission denied for database ..." (or an ACL denial of
SET) on every open. Private servers: their logs are this test's alone."""

from __future__ import annotations

import redis

import stores
from stores import ReadOnlyStore, StoreUnavailable
from tests.private_servers import PrivatePostgres, PrivateRedis
from tests.server_users import pg_read_only_role, redis_read_only_user

#: What the README's read-only ACL does not allow and the store asks anyway,
#: knowing it may be refused (INFO for the version check, SCRIPT LOAD of a read
#: script, CONFIG GET for durability): reads, each refused harmlessly.
HARMLESS_DENIALS = {"info", "script|load", "config|get"}


def _server_errors(log_text: str) -> list[str]:
    return [line for line in log_text.splitlines() if "ERROR:" in line or "FATAL:" in line]


def test_postgres_read_only_role_logs_no_error(tmp_path):
    server = PrivatePostgres(tmp_path).start()
    try:
        writer = stores.open_store(server.url, namespace="ns", timeout=5)
        task = writer.create_task({"topic": "mail"})
        with pg_read_only_role("ns", server_url=server.url) as url:
            logged = len(server.log.read_text(errors="replace"))
            store = stores.open_store(url, namespace="ns", timeout=5)  # without read_only
            try:
                assert store.read_only and store.read_only_reason == "this role may only read"
                assert store.task(task.task_id) == task
                assert [t.topic for t in store.topics()] == ["mail"]
                assert store.identity() == writer.identity()
                store.durability()
                try:
                    store.create_task({"topic": "mail"})
                except ReadOnlyStore:
                    pass
                else:
                    raise AssertionError("a write went through a role that may only read")
            finally:
                store.close()
            try:  # a namespace it may not create: refused, without trying either
                stores.open_store(url, namespace="absent", timeout=5)
            except StoreUnavailable as exc:
                assert "may not create it" in str(exc)
            else:
                raise AssertionError("a role that may only read opened a namespace that does not exist")
            new_lines = server.log.read_text(errors="replace")[logged:]
        writer.close()
        assert _server_errors(new_lines) == [], new_lines
    finally:
        server.remove()


def test_redis_read_only_user_is_never_refused_a_write(tmp_path):
    with PrivateRedis(tmp_path) as server:
        admin = redis.Redis.from_url(server.url, decode_responses=True)
        writer = stores.open_store(server.url, namespace="ns", timeout=5)
        try:
            task = writer.create_task({"topic": "mail"})
            with redis_read_only_user("ns", server_url=server.url) as url:
                admin.acl_log_reset()
                with stores.open_store(url, namespace="ns", timeout=5) as store:  # without read_only
                    assert store.read_only and store.read_only_reason == "this user may only read"
                    assert store.task(task.task_id) == task
                    assert store.identity() == writer.identity()
                    try:
                        store.reserve_task("mail", "w1")
                    except ReadOnlyStore:
                        pass
                    else:
                        raise AssertionError("a write went through a user that may only read")
                denied = {entry["object"] for entry in admin.acl_log()}
            assert denied <= HARMLESS_DENIALS, denied
            assert writer.task(task.task_id) == task
        finally:
            writer.close()
            admin.close()
